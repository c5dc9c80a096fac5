"""Security primitives: passwords, OTP codes, JWT, Telegram initData, lookup hashes, contact normalisation."""
