// Builds ../echarts.custom.min.js from entry.js with esbuild (see ../BUILD.md). Run: npm ci && npm run build
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const version = JSON.parse(readFileSync("node_modules/echarts/package.json", "utf8")).version;

await build({
  entryPoints: ["entry.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2017",
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  banner: {
    js: `/*! Apache ECharts ${version}, the reform portal's build (bar, line, grid, legend, tooltip, markLine, canvas). Apache-2.0: see LICENSE and NOTICE beside this file. */`,
  },
  outfile: "echarts.custom.min.js",
  logLevel: "info",
});
