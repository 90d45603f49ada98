"""The metadata record's JSON: what a page or feed hands us must always encode."""

from __future__ import annotations

import json

from pipelines.warc_metadata import encode_metadata


def test_lone_surrogate_from_a_json_feed_title_still_encodes() -> None:
    # json.loads('"\\udc00"') gives a lone surrogate, which UTF-8 cannot hold.
    title = json.loads('"Harbour \\udc00 plan"')
    payload = encode_metadata({"url": "https://riverside.example/a", "discovery": {"title": title}})
    assert json.loads(payload) == {"url": "https://riverside.example/a",
                                   "discovery": {"title": "Harbour ? plan"}}
    assert encode_metadata({"title": "Café"}) == '{"title": "Café"}'.encode()
