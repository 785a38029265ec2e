"""Screen logic without Kivy: each screen has a view model the tests drive headlessly."""
