SELECT search.reembed_abort()
