// Renders a workerbench comment (GitHub-flavoured Markdown) as a pull
// request comment on GitHub looks: GitHub's Markdown styles
// (github-markdown-css) in a comment box, its mermaid blocks drawn as
// charts (mermaid, as GitHub does), screenshotted by headless Chromium to
// a PNG. render.sh runs it on a real run's summary.md.
//
// Usage: node render-comment.mjs COMMENT.md OUT.png [CHROMIUM]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { marked } from "marked";
import puppeteer from "puppeteer-core";

const [input, output, chromium = "/usr/bin/chromium"] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node render-comment.mjs COMMENT.md OUT.png [CHROMIUM]");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const css = readFileSync(require.resolve("github-markdown-css/github-markdown-light.css"), "utf8");
// GitHub hides HTML comments (the sticky comment's marker) and renders
// <details>, <summary> and entities as marked does.
const body = marked
  .parse(readFileSync(input, "utf8"), { gfm: true })
  .replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>');

const page = `<!doctype html>
<html><head><meta charset="utf-8"><style>
${css}
body { margin: 0; padding: 16px; background: #fff; width: 900px;
  font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.comment { border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  border-radius: 6px 6px 0 0; font-size: 14px; color: #59636e; }
.comment-header b { color: #1f2328; }
.markdown-body { padding: 16px; font-size: 14px; }
.markdown-body pre.mermaid { background: #fff; text-align: center; }
</style></head><body>
<div class="comment">
<div class="comment-header"><b>github-actions</b> <span>bot</span> commented</div>
<div class="markdown-body">${body}</div>
</div>
</body></html>
`;

const browser = await puppeteer.launch({ executablePath: chromium, args: ["--no-sandbox"] });
try {
  const tab = await browser.newPage();
  await tab.setViewport({ width: 932, height: 800, deviceScaleFactor: 1.5 });
  await tab.setContent(page, { waitUntil: "load" });
  await tab.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
  await tab.evaluate(async () => {
    window.mermaid.initialize({ startOnLoad: false, theme: "default" });
    await window.mermaid.run({ querySelector: "pre.mermaid" });
  });
  const comment = await tab.$(".comment");
  await comment.screenshot({ path: output });
} finally {
  await browser.close();
}
