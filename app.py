"""The Chalice application: blueprints, common HTTP behaviour, consumers and schedules.

Read docs/architecture.md first. Route modules live in chalicelib/api/; this file only
wires them together so the whole surface is visible at a glance.
"""

from chalice.app import Chalice

from chalicelib import consumers, schedules
from chalicelib.api import auth as auth_api
from chalicelib.api import bookings as bookings_api
from chalicelib.api import businesses as businesses_api
from chalicelib.api import calendar_feeds as calendar_feeds_api
from chalicelib.api import discounts as discounts_api
from chalicelib.api import discovery as discovery_api
from chalicelib.api import favorites as favorites_api
from chalicelib.api import me as me_api
from chalicelib.api import meta, middleware, routing
from chalicelib.api import notifications as notifications_api
from chalicelib.api import privacy as privacy_api
from chalicelib.api import reviews as reviews_api
from chalicelib.api import staff_bookings as staff_bookings_api
from chalicelib.api import support as support_api
from chalicelib.api import surveys as surveys_api
from chalicelib.api import tickets as tickets_api
from chalicelib.api import travel as travel_api
from chalicelib.api import visits as visits_api
from chalicelib.api import waitlist as waitlist_api
from chalicelib.api import wallet as wallet_api
from chalicelib.api import webhooks as webhooks_api
from chalicelib.privacy import jobs as privacy_jobs
from chalicelib.privacy import sweeps as privacy_sweeps

app = Chalice(app_name="booking")
app.api.binary_types = []  # every body is text: JSON, problem+json, HTML, iCalendar

# --- HTTP routes (one blueprint per area) ---
app.register_blueprint(meta.blueprint)
routing.set_authenticator(auth_api.authenticate_request)
app.register_blueprint(auth_api.blueprint)
app.register_blueprint(me_api.blueprint)
app.register_blueprint(privacy_api.blueprint)
app.register_blueprint(notifications_api.blueprint)
notifications_api.accept_form_posts(app)
app.register_blueprint(bookings_api.blueprint)
app.register_blueprint(discounts_api.blueprint)
app.register_blueprint(businesses_api.blueprint)
app.register_blueprint(discovery_api.blueprint)
app.register_blueprint(favorites_api.blueprint)
app.register_blueprint(reviews_api.blueprint)
app.register_blueprint(travel_api.blueprint)  # travel requests, documents, rates (docs/travel.md)
# calendar feeds and business webhooks (issue #18, items 4-5)
app.register_blueprint(calendar_feeds_api.blueprint)
app.register_blueprint(webhooks_api.blueprint)
app.register_blueprint(wallet_api.blueprint)
app.register_blueprint(staff_bookings_api.blueprint)  # issue #18: staff bookings, blocks
app.register_blueprint(visits_api.blueprint)  # issue #18: multi-service visits
app.register_blueprint(waitlist_api.blueprint)  # issue #18: waitlists
app.register_blueprint(surveys_api.blueprint)
app.register_blueprint(support_api.blueprint)
app.register_blueprint(tickets_api.blueprint)

# --- SQS consumers and schedules (chalicelib/consumers.py, chalicelib/schedules.py) ---
consumers.register(app)
schedules.register(app)
privacy_sweeps.register(app)
privacy_jobs.register(app)

# --- common behaviour: after every route is known ---
middleware.install(app)
routing.install_method_not_allowed(app)
