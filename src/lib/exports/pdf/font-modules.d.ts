/** Font files bundled as bytes (wrangler.toml [[rules]] type = "Data"). */
declare module "*.ttf" {
  const bytes: ArrayBuffer;
  export default bytes;
}
