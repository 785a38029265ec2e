"""Kivy screens: each ``<name>.py`` loads the ``<name>.kv`` beside it."""

from __future__ import annotations

from typing import Any


def load_screens() -> list[Any]:
    """One instance of every screen (importing a screen module loads its ``.kv``)."""
    from mobile.app.screens.dossier import DossierScreen
    from mobile.app.screens.feedback import FeedbackScreen
    from mobile.app.screens.home import HomeScreen
    from mobile.app.screens.intake import IntakeScreen
    from mobile.app.screens.recover import RecoverScreen
    from mobile.app.screens.revoked import RevokedScreen
    from mobile.app.screens.settings import SettingsScreen
    from mobile.app.screens.setup import SetupScreen
    from mobile.app.screens.survey import SurveyScreen
    from mobile.app.screens.sync import SyncScreen
    from mobile.app.screens.unlock import UnlockScreen

    return [
        SetupScreen(),
        UnlockScreen(),
        RecoverScreen(),
        HomeScreen(),
        IntakeScreen(),
        DossierScreen(),
        FeedbackScreen(),
        SurveyScreen(),
        SyncScreen(),
        SettingsScreen(),
        RevokedScreen(),
    ]
