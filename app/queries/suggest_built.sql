SELECT EXISTS (SELECT FROM search.suggest_terms)
