"""Flask extensions, created unbound and initialised by the application factory."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crowdfund.db import Base

#: Objects keep their loaded values after a commit: a view that commits and then renders
#: or redirects does not open a second transaction (on SQLite that would hold the write lock).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
