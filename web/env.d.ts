// Stylesheets are bundled by esbuild (scripts/build-web.mjs) into dist/web/app.css.
declare module "*.css";
