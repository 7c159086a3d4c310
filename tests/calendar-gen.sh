#!/bin/bash
# Print N pseudo-random calendar expressions (deterministic: fixed seed), valid and
# invalid, built from the grammar's pieces. Used by calendar-diff.sh.
n=${1:-200}
seed=${2:-4252}
awk -v n="$n" -v seed="$seed" 'BEGIN {
    srand(seed);
    split("Mon Tue Wed Thu Fri Sat Sun Monday friday SUN Mo Thurs", wd, " ");
    split("* 2026 26 2027..2029 2026/2 1970 2199 2200 99 00..05/2 2026,2028", yr, " ");
    split("* 1 02 12 13 0 1..3 3/4 1,4,7,10 11..12 2..1 6/7", mo, " ");
    split("* 1 31 29 30 15 1..7 8..14 1/7 */2 32 0 28 2..30/5", dy, " ");
    split("* 0 00 23 24 2 02 3 1..3 0/6 22/1 23/1 8..17/3 1,13", hr, " ");
    split("* 0 00 30 59 60 0/15 05..10/6 */5 15,45 0..59/20 7", mi, " ");
    split("* 0 00 30 59 60 0/15 1.5 0/0.5 00..30/10 59.9999995 2.25..3.75", se, " ");
    split("UTC Europe/Berlin America/New_York Australia/Lord_Howe Asia/Kolkata utc Europe/Berln Asia/Kathmandu Pacific/Chatham", tz, " ");
    split("minutely hourly daily weekly monthly yearly quarterly semiannually Daily", sh, " ");
    for (i = 0; i < n; i++) {
        s = "";
        r = rand();
        if (r < 0.08) { s = sh[int(rand() * 9) + 1]; }
        else {
            if (rand() < 0.3) {
                d = wd[int(rand() * 12) + 1];
                if (rand() < 0.3) d = d (rand() < 0.5 ? ".." : ",") wd[int(rand() * 7) + 1];
                s = d " ";
            }
            if (rand() < 0.7) {
                sep = (rand() < 0.1) ? "~" : "-";
                if (rand() < 0.7) s = s yr[int(rand() * 12) + 1] "-";
                s = s mo[int(rand() * 12) + 1] sep dy[int(rand() * 14) + 1];
                if (rand() < 0.85) s = s " ";
            }
            if (rand() < 0.85 || s == "") {
                s = s hr[int(rand() * 14) + 1] ":" mi[int(rand() * 12) + 1];
                if (rand() < 0.5) s = s ":" se[int(rand() * 12) + 1];
            }
            sub(/ $/, "", s);
        }
        if (rand() < 0.35) s = s " " tz[int(rand() * 9) + 1];
        print s;
    }
}'
