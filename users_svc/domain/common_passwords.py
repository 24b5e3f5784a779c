"""A small built-in list of passwords (and base words) attackers try first.

Matching is done by ``passwords.check_password`` on the casefolded password and on its
"core": the password with leading/trailing digits and symbols removed and common
look-alike substitutions undone, so ``P@ssw0rd2024!`` is caught as ``password``. A real
breach corpus (e.g. a k-anonymity lookup) would need I/O and belongs to the caller.
"""

from __future__ import annotations

COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "123456", "123456789", "12345678", "1234567890", "123123", "111111", "000000", "654321",
        "1234567", "qwerty", "qwertyuiop", "qwerty123", "qwerty123456", "1q2w3e4r", "1q2w3e4r5t6y",
        "asdfghjkl", "zxcvbnm", "password", "password1", "password123", "password1234", "passw0rd",
        "p@ssw0rd", "letmein", "letmein123", "welcome", "welcome1", "welcome123", "admin",
        "admin123", "administrator", "root", "toor", "changeme", "changeme123", "iloveyou",
        "princess", "sunshine", "monkey", "dragon", "football", "baseball", "superman", "batman",
        "master", "shadow", "michael", "jennifer", "trustno1", "starwars", "whatever", "freedom",
        "secret", "login", "abc123", "abcdef", "abcdefgh", "abcd1234", "aa123456", "default",
        "guest", "hello", "hello123", "summer", "winter", "spring", "autumn", "computer",
        "internet", "samsung", "google", "linkedin", "facebook", "correcthorsebatterystaple",
        "dafnck", "dafnckmachine",
    }
)

# Look-alike characters people substitute for letters, undone before matching.
LEET_MAP: dict[str, str] = {
    "@": "a",
    "4": "a",
    "8": "b",
    "3": "e",
    "1": "i",
    "!": "i",
    "0": "o",
    "$": "s",
    "5": "s",
    "7": "t",
    "+": "t",
}
