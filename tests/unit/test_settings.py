"""Settings come from BOOKING_* variables, once; deployed code refuses the dummy secrets."""

import pytest

from chalicelib.settings import Settings


def test_values_are_read_and_coerced_from_the_environment():
    # Given variables for a number and a JSON list
    environ = {
        "BOOKING_STAGE": "test",
        "BOOKING_BCRYPT_ROUNDS": "13",
        "BOOKING_ALLOWED_ORIGINS": '["https://a.example"]',
    }
    # When settings are read
    settings = Settings.from_env(environ)
    # Then each is typed
    assert settings.bcrypt_rounds == 13 and settings.allowed_origins == ["https://a.example"]


def test_invalid_values_are_refused():
    with pytest.raises(ValueError, match="bcrypt_rounds"):
        Settings.from_env({"BOOKING_BCRYPT_ROUNDS": "4"})


def test_a_deployed_function_refuses_the_local_dummy_secrets():
    # Given a prod Lambda environment without real secrets
    environ = {"BOOKING_STAGE": "prod", "AWS_LAMBDA_FUNCTION_NAME": "booking-prod"}
    # When settings are read, then it refuses to start and names what is missing
    with pytest.raises(ValueError, match="jwt_secret"):
        Settings.from_env(environ)


def test_packaging_a_deployed_stage_needs_no_secrets():
    # Given the packaging step (no Lambda runtime), settings load so app.py can be imported
    assert Settings.from_env({"BOOKING_STAGE": "prod"}).stage == "prod"


def test_a_deployed_function_with_real_secrets_starts():
    environ = {"BOOKING_STAGE": "prod", "AWS_LAMBDA_FUNCTION_NAME": "booking-prod"}
    for name in Settings.from_env({}).dummy_secrets():
        environ[f"BOOKING_{name.upper()}"] = f"real-{name}-value-0123456789abcdef0123456789"
    assert Settings.from_env(environ).dummy_secrets() == []


@pytest.mark.parametrize("environ", [{}, {"BOOKING_STAGE": "prod"}])
def test_the_stage_consumers_register_with_is_the_settings_stage(environ):
    from chalicelib import resources

    # Given the environment a function is packaged or runs with, the queue names chosen at
    # import (without Settings) and Settings agree on the stage
    assert resources.stage_from_env(environ) == Settings.from_env(environ).stage


def test_an_empty_stage_is_refused():
    with pytest.raises(ValueError, match="stage"):
        Settings.from_env({"BOOKING_STAGE": ""})
