"""The imports' index of first rows ("already appears in row N"), kept on disk so memory stays flat."""

import tracemalloc

from portal.spreadsheets.seen import FirstSeen


def test_the_first_row_of_each_key_is_remembered():
    seen = FirstSeen()
    assert seen.setdefault("330206199001011234", 2) == 2
    assert seen.setdefault(("北仑区", "数控车工班", "2025-03-01"), 3) == 3
    assert seen.setdefault(330206199001011, 4) == 4
    assert seen.setdefault("330206199001011234", 9) == 2
    assert seen.setdefault(("北仑区", "数控车工班", "2025-03-01"), 10) == 3
    assert seen.setdefault(330206199001011, 11) == 4
    # Keys that only look alike are different keys.
    assert seen.setdefault("330206199001011", 12) == 12
    assert seen.setdefault(("北仑区", "数控车工班", "2025-03-02"), 13) == 13
    seen.close()


def test_its_memory_does_not_grow_with_the_number_of_keys():
    seen = FirstSeen()
    seen.setdefault("warm-up", 1)
    tracemalloc.start()
    for row in range(2, 100_002):
        seen.setdefault(f"key-{row}", row)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seen.setdefault("key-50000", 1) == 50_000
    # Python-side allocations (SQLite keeps its pages on disk, its cache capped at 2 MB by a pragma);
    # a dict of the same 100,000 keys holds about 10 MB.
    assert peak < 1_000_000, peak
    seen.close()


def test_it_may_be_closed_from_another_thread():
    """The garbage collector may drop an importer in another thread than the request that made it."""
    import threading

    seen = FirstSeen()
    seen.setdefault("key", 1)
    errors = []

    def close():
        try:
            seen.close()
        except Exception as exc:  # a failure here is what the test looks for
            errors.append(exc)

    thread = threading.Thread(target=close)
    thread.start()
    thread.join()
    assert errors == []
