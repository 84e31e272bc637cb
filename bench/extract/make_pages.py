# bench/extract: 50 KiB HTML pages from the books.toscrape listing pages of the shared corpus:
# each listing page with products of the following pages added to its list until it holds
# 50 KiB (real markup).
#   make_pages.py <corpus dir> <out dir>
import os
import re
import sys

corpus, out = sys.argv[1], sys.argv[2]
src = os.path.join(corpus, "books_toscrape", "catalogue")
pages = [open(os.path.join(src, f"page-{n}.html"), encoding="utf-8").read() for n in range(1, 50)]
articles = [re.findall(r"<article class=\"product_pod\">.*?</article>", p, re.S) for p in pages]
os.makedirs(out, exist_ok=True)
for n, page in enumerate(pages):
    # Products of the following pages are added one by one until the page reaches 50 KiB.
    at = page.rfind("</ol>")
    extra, k = "", 1
    while len((page[:at] + extra + page[at:]).encode()) < 50 * 1024:
        more = articles[(n + k) % len(pages)]
        for a in more:
            extra += "<li>" + a + "</li>"
            if len((page[:at] + extra + page[at:]).encode()) >= 50 * 1024:
                break
        k += 1
    body = page[:at] + extra + page[at:]
    open(os.path.join(out, f"page-{n + 1:02d}.html"), "w", encoding="utf-8").write(body)
