/** Files bundled as text modules (wrangler.toml [[rules]] type = "Text"). */
declare module "*/standalone.js" {
  const text: string;
  export default text;
}
