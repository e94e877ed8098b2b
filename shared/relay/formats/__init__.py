"""The standards on the wire, both ways: CAP 1.2 alerts (written and read), EDXL-DE 1.0
envelopes and their answers, safe XML parsing, and the OASIS schemas to check them against."""
