COPY search.suggest_readings (display, key, pinyin, initials) FROM STDIN
