"""An API token ends with the password it was created under.

Django calls `password_changed()` on each password validator whenever a new password is saved (set_password
then save: the admin's password forms, `changepassword`, `local_admin --reset`, code), which makes it the one
place every password change passes through. Listed in AUTH_PASSWORD_VALIDATORS, this class checks nothing
about the password; it revokes the person's token, so a token someone copied stops working when the password
is changed. Logging out does not revoke it: a token is for scripts, and a browser session ending is no reason
to stop a newsroom's running script.
"""

from rest_framework.authtoken.models import Token


class PasswordChangeRevokesToken:
    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            Token.objects.filter(user=user).delete()

    def get_help_text(self) -> str:
        return "Changing the password revokes the account's API token (create a new one in the admin)."
