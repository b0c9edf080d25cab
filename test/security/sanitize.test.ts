import { describe, expect, it } from "vitest";
import { escapeHtml, sanitizeRichText } from "../../src/lib/security/sanitize";

/**
 * These cases once ran super-linearly (a hang or a stack overflow). The bound only catches such a
 * blow-up, far above the linear cost even on a loaded machine; the real figures are in `npm run bench`.
 */
const HANG_GUARD_MS = 10_000;

/** What must never survive sanitising, however the input was spelled. */
function assertInert(output: string) {
  const lower = output.toLowerCase();
  expect(lower).not.toMatch(/<\s*(script|style|iframe|object|embed|svg|math|link|meta|base|form|input|frame|template|applet)/);
  expect(lower).not.toMatch(/\son[a-z]+\s*=/);
  expect(lower).not.toMatch(/\sstyle\s*=/);
  expect(lower).not.toMatch(/(href|src)="\s*(javascript|data|vbscript|file|blob):/);
}

describe("escapeHtml", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });

  it("leaves plain text alone", () => {
    expect(escapeHtml("Solve for x: 2x + 3 = 7")).toBe("Solve for x: 2x + 3 = 7");
  });
});

describe("sanitizeRichText keeps legitimate formatting", () => {
  const cases: [string, string, string][] = [
    ["paragraphs and emphasis", "<p>Find <b>x</b> and <em>y</em>.</p>", "<p>Find <b>x</b> and <em>y</em>.</p>"],
    ["sub and sup", "H<sub>2</sub>O and x<sup>2</sup>", "H<sub>2</sub>O and x<sup>2</sup>"],
    ["lists", '<ol start="3"><li>a</li><li>b</li></ol>', '<ol start="3"><li>a</li><li>b</li></ol>'],
    ["code blocks", "<pre><code>if (a &lt; b) {}</code></pre>", "<pre><code>if (a &lt; b) {}</code></pre>"],
    ["line breaks", "a<br>b<br/>c", "a<br>b<br>c"],
    ["blockquote", "<blockquote>quote</blockquote>", "<blockquote>quote</blockquote>"],
    [
      "https link",
      '<a href="https://example.com/a?b=1&amp;c=2">x</a>',
      '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">x</a>',
    ],
    [
      "mailto link",
      '<a href="mailto:help@example.com">mail</a>',
      '<a href="mailto:help@example.com" rel="noopener noreferrer nofollow">mail</a>',
    ],
    ["relative link", '<a href="/questions/12#hint">hint</a>', '<a href="/questions/12#hint" rel="noopener noreferrer nofollow">hint</a>'],
    [
      "https image",
      '<img src="https://cdn.example.com/q.png" alt="Figure 1" width="200">',
      '<img src="https://cdn.example.com/q.png" alt="Figure 1" width="200">',
    ],
    ["tables", "<table><tr><td colspan=2>1</td></tr></table>", '<table><tr><td colspan="2">1</td></tr></table>'],
    ["entities in text", "5 &gt; 3 &amp;&amp; &eacute;t&eacute;", "5 &gt; 3 &amp;&amp; &eacute;t&eacute;"],
    ["bare ampersand and angle brackets in text", "a & b < c > d", "a &amp; b &lt; c &gt; d"],
    ["unknown tags unwrapped", "<article><section>text</section></article>", "text"],
    ["unclosed tags closed", "<p><b>bold", "<p><b>bold</b></p>"],
    ["stray end tags dropped", "</p>text</b>", "text"],
    ["misnested tags repaired", "<b><i>x</b>y</i>", "<b><i>x</i></b>y"],
  ];
  it.each(cases)("%s", (_name, input, expected) => {
    expect(sanitizeRichText(input)).toBe(expected);
  });
});

describe("sanitizeRichText neutralises XSS vectors", () => {
  // [name, input, text that must remain (or null to only check inertness)]
  const vectors: [string, string, string | null][] = [
    ["script tag", "<script>alert(1)</script>ok", "ok"],
    ["script tag upper case", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok", "ok"],
    ["script with whitespace before >", "<script\n>alert(1)</script\n>ok", "ok"],
    ["script close with attributes", "<script>alert(1)</script foo>ok", "ok"],
    ["script with slash attribute", '<script/src="//evil">alert(1)</script>ok', "ok"],
    ["unterminated script", "ok<script>alert(1)", "ok"],
    ["split script tags", "<scr<script>ipt>alert(1)</scr</script>ipt>", null],
    ["nested script in text", "<<script>alert(1)//<</script>", null],
    ["style tag", "<style>body{background:url(javascript:alert(1))}</style>ok", "ok"],
    ["img onerror", "<img src=x onerror=alert(1)>", null],
    ["img onerror no quotes or spaces", "<img/src=x/onerror=alert(1)>", null],
    ["svg onload", "<svg onload=alert(1)>ok", null],
    ["svg script", "<svg><script>alert(1)</script></svg>after", "after"],
    ["self-closing svg keeps following text", "<svg/onload=alert(1)/>after", "after"],
    ["math with href", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>after', "after"],
    ["iframe", '<iframe src="javascript:alert(1)"></iframe>ok', "ok"],
    ["iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>', null],
    ["object data", '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>ok', "ok"],
    ["embed", '<embed src="javascript:alert(1)">ok', "ok"],
    ["body onload", "<body onload=alert(1)>ok", "ok"],
    ["event handler on allowed tag", '<p onclick="alert(1)" onmouseover=alert(1)>ok</p>', "ok"],
    ["style attribute", '<p style="background:url(javascript:alert(1))">ok</p>', "ok"],
    ["javascript href", '<a href="javascript:alert(1)">x</a>', "x"],
    ["javascript href mixed case", '<a href="JaVaScRiPt:alert(1)">x</a>', "x"],
    ["javascript href leading spaces", '<a href="   javascript:alert(1)">x</a>', "x"],
    ["javascript href with tab", '<a href="jav\tascript:alert(1)">x</a>', "x"],
    ["javascript href with newline", '<a href="jav\nascript:alert(1)">x</a>', "x"],
    ["javascript href with tab entity", '<a href="jav&#x09;ascript:alert(1)">x</a>', "x"],
    ["javascript href with named tab entity", '<a href="jav&Tab;ascript:alert(1)">x</a>', "x"],
    ["javascript href decimal entities", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', "x"],
    ["javascript href decimal entities no semicolons", '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>', "x"],
    ["javascript href padded decimal entities", '<a href="&#0000106&#0000097vascript:alert(1)">x</a>', "x"],
    ["javascript href hex entities", '<a href="&#x6A;&#x61;&#x76;&#x61;script&#x3A;alert(1)">x</a>', "x"],
    ["javascript href colon entity", '<a href="javascript&colon;alert(1)">x</a>', "x"],
    ["javascript href control character", '<a href="\u0001javascript:alert(1)">x</a>', "x"],
    ["javascript href NUL inside", '<a href="java\u0000script:alert(1)">x</a>', "x"],
    ["javascript href unquoted", "<a href=javascript:alert(1)>x</a>", "x"],
    ["javascript href single quotes", "<a href='javascript:alert(1)'>x</a>", "x"],
    ["vbscript href", '<a href="vbscript:msgbox(1)">x</a>', "x"],
    ["data href", '<a href="data:text/html,<script>alert(1)</script>">x</a>', "x"],
    ["data image src", '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">', null],
    ["http image src (https only)", '<img src="http://example.com/a.png">', null],
    ["relative image src", '<img src="/a.png">', null],
    ["javascript image src", '<img src="javascript:alert(1)">', null],
    ["colon hidden before path", '<a href="javascript\u00a0:alert(1)">x</a>', "x"],
    ["form action", '<form action="javascript:alert(1)"><input type=submit></form>ok', "ok"],
    ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">ok', "ok"],
    ["base href", '<base href="javascript:alert(1)//">ok', "ok"],
    ["link stylesheet", '<link rel=stylesheet href="javascript:alert(1)">ok', "ok"],
    ["comment hiding markup", "<!--<img src=x onerror=alert(1)>-->ok", "ok"],
    ["conditional comment", "<!--[if IE]><script>alert(1)</script><![endif]-->ok", "ok"],
    ["short comment", "<!-->ok", "ok"],
    ["unterminated comment", "ok<!--<script>alert(1)</script>", "ok"],
    ["processing instruction", "<?xml-stylesheet href=javascript:alert(1)?>ok", "ok"],
    ["cdata", "<![CDATA[<script>alert(1)</script>]]>", null],
    ["attribute breaking out of quotes", '<a title="x" onmouseover="alert(1)" href="https://a.example">x</a>', "x"],
    ["quote in title value", `<a title='"><script>alert(1)</script>'>x</a>`, "x"],
    ["unterminated attribute", '<a href="https://a.example>x</a><script>alert(1)</script>', null],
    ["template", "<template><img src=x onerror=alert(1)></template>ok", "ok"],
    ["noscript", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>ok', null],
    ["textarea rawtext", "<textarea><script>alert(1)</script></textarea>ok", "ok"],
    ["plaintext", "ok<plaintext><script>alert(1)</script>", "ok"],
    ["xmp", "<xmp><img src=x onerror=alert(1)></xmp>ok", "ok"],
    ["dropped tag nested in itself", "<svg><svg></svg><script>alert(1)</script></svg>after", "after"],
    ["srcset", '<img src="https://a.example/a.png" srcset="javascript:alert(1)">', null],
    ["formaction", "<button formaction=javascript:alert(1)>x</button>", "x"],
    ["xlink href", '<a xlink:href="javascript:alert(1)">x</a>', "x"],
    ["frameset", "<frameset onload=alert(1)><frame src=javascript:alert(1)></frameset>ok", "ok"],
  ];

  it.each(vectors)("%s", (_name, input, keep) => {
    const output = sanitizeRichText(input);
    assertInert(output);
    expect(output).not.toMatch(/alert\(1\)"/);
    if (keep !== null) expect(output).toContain(keep);
  });

  it("drops the URL but keeps the link text for a javascript: href", () => {
    expect(sanitizeRichText('<a href="javascript:alert(1)">click</a>')).toBe('<a rel="noopener noreferrer nofollow">click</a>');
  });

  it("never lets script content through as text", () => {
    expect(sanitizeRichText("<script>alert(1)</script>")).toBe("");
    expect(sanitizeRichText("<style>*{}</style>")).toBe("");
  });

  it("is idempotent", () => {
    for (const [, input] of vectors) {
      const once = sanitizeRichText(input);
      expect(sanitizeRichText(once)).toBe(once);
    }
  });

  it.each([
    ["thousands of comments", "<!>".repeat(100_000) + "ok"],
    ["thousands of duplicate attributes", "<p " + "a ".repeat(100_000) + ">ok</p>"],
    ["thousands of stray end tags", "<b>".repeat(30_000) + "</i>".repeat(30_000) + "ok"],
    ["very deep nesting", "<b><i>".repeat(30_000) + "ok"],
  ])("stays linear and on the stack with %s", (_name, input) => {
    const started = performance.now();
    const output = sanitizeRichText(input);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
    expect(output).toContain("ok");
    expect((output.match(/<b>/g) ?? []).length).toBeLessThanOrEqual(100);
  });

  it("handles large adversarial input in linear time", () => {
    const hostile = "<a href='".repeat(2000) + "<script>".repeat(20000) + "<!--".repeat(20000) + "&#".repeat(20000);
    const started = performance.now();
    const output = sanitizeRichText(hostile);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
    assertInert(output);
  });
});
