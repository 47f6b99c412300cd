"""The region hierarchy of Kemendagri codes: province, kota, kecamatan."""
