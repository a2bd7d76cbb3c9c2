SELECT search.check_model(%(model)s)
