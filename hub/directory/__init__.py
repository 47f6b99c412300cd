"""The directory: communities, mentors and demand, their lists, and CSV in and out."""
