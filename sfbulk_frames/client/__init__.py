"""HTTP side of the data path: sessions, auth flows, sans-I/O protocol flows, clients, job handles.

Nothing here knows about dataframes: this package never imports pandas or polars.
"""
