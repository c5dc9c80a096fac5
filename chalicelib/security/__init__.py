"""Security primitives: passwords, OTP codes, JWT, Telegram initData, lookup hashes, authn/authz."""
