# bench/extract: the same pages and selectors through python3-lxml or parsel (Debian packages),
# for at least the given seconds; prints one JSON line like extract_bench.
#   py_extract.py lxml|parsel <dir> [seconds]
import json
import os
import sys
import time

impl, directory = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
pages = [open(os.path.join(directory, f), "rb").read() for f in sorted(os.listdir(directory))]

if impl == "lxml":
    import lxml.html

    def extract(page):
        tree = lxml.html.fromstring(page)
        title = tree.xpath("string(//title)").strip()
        links = tree.xpath("//a/@href")
        prices = [p.strip() for p in tree.xpath("//p[contains(concat(' ', normalize-space(@class), ' '), ' price_color ')]/text()")]
        return title, links, prices
else:
    from parsel import Selector

    def extract(page):
        sel = Selector(text=page.decode("utf-8"))
        title = (sel.css("title::text").get() or "").strip()
        links = sel.css("a::attr(href)").getall()
        prices = [p.strip() for p in sel.css("p.price_color::text").getall()]
        return title, links, prices

links = prices = 0
for page in pages:
    _, l, p = extract(page)
    links += len(l)
    prices += len(p)
start = time.perf_counter()
done = 0
elapsed = 0.0
while elapsed < seconds:
    for page in pages:
        extract(page)
        done += 1
    elapsed = time.perf_counter() - start
total = sum(len(p) for p in pages)
print(json.dumps({"impl": impl, "pages": len(pages), "links_per_pass": links,
                  "prices_per_pass": prices, "pages_per_s": done / elapsed,
                  "mb_per_s": total * done / len(pages) / 1e6 / elapsed}))
