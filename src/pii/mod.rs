//! Local PII masking (being written).
