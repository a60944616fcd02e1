"""Frame side of the data path: backend adapter, validation, preflight, encoder, decoder,
join-back, results.

Nothing here talks HTTP: this package never imports the client.
"""
