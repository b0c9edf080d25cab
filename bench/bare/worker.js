// The physical limit of the local runtime: the smallest Worker, served by the same wrangler and workerd.
export default {
  fetch() {
    return new Response("ok");
  },
};
