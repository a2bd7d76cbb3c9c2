-- Whether the vector legs saw every match, when the search's statement returned no row to carry it.
SELECT search.legs_complete() AS complete
