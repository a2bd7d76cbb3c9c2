SELECT search.reembed_swap()
