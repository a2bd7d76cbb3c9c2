SELECT search.reembed_index()
