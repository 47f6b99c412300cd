"""The region hierarchy of Kemendagri codes: province, kota, kecamatan."""

from hub.regions.codes import ancestor_codes, lies_in, parent_code

__all__ = ["ancestor_codes", "lies_in", "parent_code"]
