// Runs Lighthouse once (mobile) in its own Chromium, with cookies set in the browser first, so the
// page's own fetch() calls carry the session as a real phone's would (--extra-headers only covers
// what Lighthouse loads itself). Copied next to var/bench/lighthouse/node_modules by bench/lighthouse.py.
// Usage: node run.mjs <url> <report.json> [cookies.json]
import fs from "node:fs";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const [url, out, cookieFile] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
});
try {
  if (cookieFile) {
    const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
    const page = (await browser.pages())[0] || (await browser.newPage());
    await page.setCookie(...JSON.parse(fs.readFileSync(cookieFile, "utf8")));
    await browser.disconnect();
  }
  const result = await lighthouse(url, {
    port: chrome.port, output: "json", logLevel: "error",
    onlyCategories: ["performance", "accessibility", "best-practices"], formFactor: "mobile",
  });
  fs.writeFileSync(out, result.report);
} finally {
  await chrome.kill();
}
