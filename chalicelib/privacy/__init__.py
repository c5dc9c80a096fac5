"""Privacy engine: manifest, consents, rights requests, retention sweeps, audit log."""
