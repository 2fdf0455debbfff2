"""Searching every version at once: ``verfs grep``.

Each distinct blob of the selected versions is searched once; its matches are mapped
back, through the path log (verfs/filelog.py), to the versions that hold that blob
at that path.  ``posix`` reads git grep's pattern dialects into Python regular
expressions and a ``query`` of the literals any match must contain; ``index`` (a
trigram index in ``cache/``, zoekt's design) narrows the blobs to those that may hold
them; ``grep`` searches and maps; ``output`` prints what git grep users expect.
"""
