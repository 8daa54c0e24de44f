"""The per-process caches the voter pages read: bounded, and never handing one object's entry
to another that happens to get its id."""

from __future__ import annotations

import gc
import runpy
import weakref
from pathlib import Path

from voting.bounded_cache import BoundedCache, ObjectCache


def test_the_entry_used_longest_ago_goes_first():
    cache: BoundedCache[str] = BoundedCache(2)
    cache.put("a", "first")
    cache.put("b", "second")
    assert cache.get("a") == "first"  # now "b" is the one used longest ago
    cache.put("c", "third")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("first", "third")
    assert cache.get_or_make("b", lambda: "again") == "again"


def test_an_object_cache_answers_only_for_the_very_object():
    cache: ObjectCache[str] = ObjectCache(8)
    layout = ("cluster-manager", "strategic-partnership")
    cache.put(layout, "rendered in English", key="en")
    assert cache.get(layout, "en") == "rendered in English"
    assert cache.get(layout, "de") is None
    assert cache.get(tuple(list(layout)), "en") is None  # equal, not the same object


def test_an_entry_keeps_its_object_so_its_id_never_passes_to_another():
    """Entries are found by id, and Python reuses the id of an object that is gone: an entry
    holding its object means the object is not gone while the entry lives."""

    class Layout:
        pass

    cache: ObjectCache[str] = ObjectCache(2)
    layout = Layout()
    alive = weakref.ref(layout)
    cache.put(layout, "rendered")
    del layout
    gc.collect()
    assert alive() is not None
    assert cache.get(alive()) == "rendered"
    cache.put(Layout(), "another")
    cache.put(Layout(), "a third")  # the first entry goes, and its object with it
    gc.collect()
    assert alive() is None


def test_a_worker_freezes_the_loaded_app_out_of_full_collections():
    """gunicorn.conf.py's hook: what is loaded before serving is never walked again by a full
    collection, which held every thread of a worker for 100 to 500 ms (docs/performance.md)."""
    settings = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    loaded = len(gc.get_objects())
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() >= loaded // 2
        assert len(gc.get_objects()) < loaded // 2
    finally:
        gc.unfreeze()
