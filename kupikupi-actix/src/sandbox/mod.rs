//! A stand-in for the KupiKupi service.
