"""Salons and round-tables (サロン・座談会): places, recurring sessions, sign-ups with capacity and
waitlist, attendance, and turning absences into visits. See docs/salons.md."""
