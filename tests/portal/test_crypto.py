"""Tests of portal.crypto: AES-GCM tokens, key rotation, blind indexes and key configuration."""

import base64
import hashlib
import hmac
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from portal import crypto

OLD_KEY = base64.b64encode(b"o" * 32).decode()
NEW_KEY = base64.b64encode(b"n" * 32).decode()
HASH_KEY = base64.b64encode(b"h" * 32).decode()
OTHER_HASH_KEY = base64.b64encode(b"g" * 32).decode()


def configure(settings, keys, hash_key=HASH_KEY):
    settings.PERSONAL_DATA_KEYS = keys
    settings.PERSONAL_DATA_HASH_KEY = hash_key
    crypto.reset_keys()


@pytest.fixture(autouse=True)
def keys(settings):
    configure(settings, [f"new:{NEW_KEY}", f"old:{OLD_KEY}"])
    yield
    crypto.reset_keys()


def test_a_value_survives_encryption_and_decryption():
    for text in ["330206199001011234", "张三 Zhang San", "", "x" * 10_000]:
        assert crypto.decrypt(crypto.encrypt(text)) == text


def test_a_token_is_bytes_laid_out_as_documented():
    token = crypto.encrypt("abc")
    assert isinstance(token, bytes)
    assert token[0] == 1
    assert token[1] == 3
    assert token[2:5] == b"new"
    # header + 12-byte nonce + 3 bytes of ciphertext + 16-byte tag
    assert len(token) == 5 + 12 + 3 + 16
    assert b"abc" not in token
    assert crypto.key_id_of(token) == "new"


def test_the_same_plaintext_gives_different_tokens():
    first, second = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert first != second
    assert first[5:17] != second[5:17]  # the nonces
    assert crypto.decrypt(first) == crypto.decrypt(second) == "13812345678"


@pytest.mark.parametrize("position", [0, 1, 2, 5, 16, 17, -1], ids=lambda p: f"byte{p}")
def test_a_tampered_token_is_refused(position):
    token = bytearray(crypto.encrypt("6222021234567890123"))
    token[position] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(token))


def test_a_token_cannot_be_relabelled_to_another_key_id(settings):
    # Both ids hold the same key, so only the key id bound as associated data can catch the swap.
    configure(settings, [f"aaa:{NEW_KEY}", f"bbb:{NEW_KEY}"])
    token = crypto.encrypt("secret")
    relabelled = token.replace(b"aaa", b"bbb", 1)
    assert crypto.key_id_of(relabelled) == "bbb"
    with pytest.raises(crypto.DecryptionError, match="altered"):
        crypto.decrypt(relabelled)


def test_an_old_key_still_decrypts_after_rotation(settings):
    configure(settings, [f"old:{OLD_KEY}"])
    old_token = crypto.encrypt("330206199001011234")
    configure(settings, [f"new:{NEW_KEY}", f"old:{OLD_KEY}"])

    assert crypto.decrypt(old_token) == "330206199001011234"
    assert crypto.key_id_of(old_token) == "old"
    assert crypto.key_id_of(crypto.encrypt("x")) == "new"
    assert crypto.current_key_id() == "new"


def test_only_tokens_of_older_keys_need_reencryption(settings):
    configure(settings, [f"old:{OLD_KEY}"])
    old_token = crypto.encrypt("13812345678")
    configure(settings, [f"new:{NEW_KEY}", f"old:{OLD_KEY}"])
    new_token = crypto.encrypt("13812345678")

    assert crypto.needs_reencryption(old_token)
    assert not crypto.needs_reencryption(new_token)
    assert not crypto.needs_reencryption(None)
    assert not crypto.needs_reencryption(b"")

    rotated = crypto.reencrypt(memoryview(old_token))
    assert crypto.key_id_of(rotated) == "new"
    assert crypto.decrypt(rotated) == "13812345678"


def test_a_token_of_an_unconfigured_key_fails_clearly(settings):
    configure(settings, [f"old:{OLD_KEY}"])
    token = crypto.encrypt("secret")
    configure(settings, [f"new:{NEW_KEY}"])
    with pytest.raises(crypto.DecryptionError, match=r"key id 'old', which is not in PERSONAL_DATA_KEYS"):
        crypto.decrypt(token)


def test_a_different_key_under_the_same_id_fails_clearly(settings):
    configure(settings, [f"k1:{OLD_KEY}"])
    token = crypto.encrypt("secret")
    configure(settings, [f"k1:{NEW_KEY}"])
    with pytest.raises(crypto.DecryptionError, match="key is wrong or the token was altered"):
        crypto.decrypt(token)


@pytest.mark.parametrize(
    "token",
    [
        b"",
        b"\x01",
        b"\x02\x03new" + b"\0" * 40,
        b"\x01\x03new" + b"\0" * 20,
        b"\x01\x00" + b"\0" * 40,
        "text",
    ],
    ids=["empty", "one-byte", "unknown-version", "truncated", "no-key-id", "str"],
)
def test_malformed_tokens_raise_decryption_error(token):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_decrypt_accepts_memoryview_and_bytearray():
    token = crypto.encrypt("北仑")
    assert crypto.decrypt(memoryview(token)) == "北仑"
    assert crypto.decrypt(bytearray(token)) == "北仑"


def test_encrypt_many_encrypts_each_value_and_keeps_none():
    tokens = crypto.encrypt_many(["a", None, "a", "张"])
    assert tokens[1] is None
    assert tokens[0] != tokens[2]
    assert [crypto.decrypt(t) for t in tokens if t is not None] == ["a", "a", "张"]


def test_encrypt_refuses_what_is_not_text():
    with pytest.raises(TypeError):
        crypto.encrypt(b"bytes")


def test_the_blind_index_is_an_hmac_of_the_value_with_the_hash_key():
    index = crypto.blind_index("330206199001011234")
    expected = hmac.new(b"h" * 32, b"330206199001011234", hashlib.sha256).hexdigest()
    assert index == expected
    assert len(index) == 64


def test_the_blind_index_is_stable_and_distinguishes_values():
    first = crypto.blind_index("13812345678")
    crypto.reset_keys()
    assert crypto.blind_index("13812345678") == first
    assert crypto.blind_index("13812345679") != first


def test_another_hash_key_gives_another_blind_index(settings):
    first = crypto.blind_index("13812345678")
    configure(settings, [f"new:{NEW_KEY}"], hash_key=OTHER_HASH_KEY)
    assert crypto.blind_index("13812345678") != first


def test_the_blind_index_does_not_depend_on_the_encryption_keys(settings):
    first = crypto.blind_index("13812345678")
    configure(settings, [f"other:{OLD_KEY}"])
    assert crypto.blind_index("13812345678") == first


def test_changing_settings_resets_the_cached_keys_without_an_explicit_reset(settings):
    assert crypto.current_key_id() == "new"
    settings.PERSONAL_DATA_KEYS = [f"later:{OLD_KEY}"]
    assert crypto.current_key_id() == "later"


def test_turning_development_keys_off_takes_effect_without_an_explicit_reset(settings):
    settings.PERSONAL_DATA_DEV_KEYS = True
    configure(settings, [], None)
    assert crypto.current_key_id() == "dev"
    settings.PERSONAL_DATA_DEV_KEYS = False
    with pytest.raises(ImproperlyConfigured):
        crypto.current_key_id()


def test_keys_may_be_given_as_one_comma_separated_string(settings):
    configure(settings, f"new:{NEW_KEY}, old:{OLD_KEY}")
    assert crypto.current_key_id() == "new"


def test_url_safe_base64_keys_are_accepted(settings):
    raw = bytes(range(250, 256)) * 5 + b"\xfb\xff"
    configure(settings, [f"u:{base64.urlsafe_b64encode(raw).decode()}"])
    assert crypto.decrypt(crypto.encrypt("x")) == "x"


@pytest.mark.parametrize(
    ("keys", "hash_key", "message"),
    [
        (["k1:not base64!"], HASH_KEY, "not valid base64"),
        ([f"k1:{base64.b64encode(b'x' * 16).decode()}"], HASH_KEY, "16 bytes; AES-256 needs exactly 32"),
        ([f"k1:{NEW_KEY}", f"k1:{OLD_KEY}"], HASH_KEY, "key id 'k1' twice"),
        ([NEW_KEY], HASH_KEY, 'must look like "keyid:base64key"'),
        ([f"bad id:{NEW_KEY}"], HASH_KEY, "has key id 'bad id'"),
        ([f":{NEW_KEY}"], HASH_KEY, "has key id ''"),
        ([f"k1:{NEW_KEY}"], "%%%", "PERSONAL_DATA_HASH_KEY is not valid base64"),
        ([f"k1:{NEW_KEY}"], base64.b64encode(b"x" * 16).decode(), "PERSONAL_DATA_HASH_KEY is 16 bytes"),
        ([f"k1:{NEW_KEY}"], NEW_KEY, "must differ"),
    ],
    ids=[
        "bad-base64",
        "short-key",
        "duplicate-id",
        "no-id",
        "bad-id",
        "empty-id",
        "bad-hash-base64",
        "short-hash",
        "hash-equals-key",
    ],
)
def test_bad_key_configuration_is_refused_loudly(settings, keys, hash_key, message):
    configure(settings, keys, hash_key)
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.encrypt("x")


def test_missing_keys_are_refused_without_development_keys(settings):
    settings.PERSONAL_DATA_DEV_KEYS = False
    configure(settings, [], None)
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_KEYS is empty"):
        crypto.encrypt("x")
    configure(settings, [f"k1:{NEW_KEY}"], None)
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_HASH_KEY is empty"):
        crypto.blind_index("x")


def test_development_keys_are_derived_deterministically_from_the_secret_key(settings):
    # The flag, fixed when settings load, decides; DEBUG, which the test runner turns off, does not.
    settings.DEBUG = False
    settings.PERSONAL_DATA_DEV_KEYS = True
    configure(settings, [], None)
    token = crypto.encrypt("13812345678")
    index = crypto.blind_index("13812345678")
    assert crypto.key_id_of(token) == "dev"

    crypto.reset_keys()
    assert crypto.decrypt(token) == "13812345678"
    assert crypto.blind_index("13812345678") == index
    # Distinct derivations: had the hash key equalled the encryption key, parsing would have refused it.
    assert index != hmac.new(b"h" * 32, b"13812345678", hashlib.sha256).hexdigest()

    settings.SECRET_KEY = "another-development-secret-key"
    assert crypto.blind_index("13812345678") != index
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_generate_key_gives_fresh_usable_32_byte_keys(settings):
    first, second = crypto.generate_key(), crypto.generate_key()
    assert first != second
    assert len(base64.b64decode(first, validate=True)) == 32
    configure(settings, [f"g:{first}"], second)
    assert crypto.decrypt(crypto.encrypt("x")) == "x"


def _env_lines(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_the_generate_command_prints_a_working_configuration(settings):
    out = io.StringIO()
    call_command("generate_personal_data_keys", "--key-id", "k2025", stdout=out)
    env = _env_lines(out.getvalue())
    assert set(env) == {"PERSONAL_DATA_KEYS", "PERSONAL_DATA_HASH_KEY"}
    assert env["PERSONAL_DATA_KEYS"].startswith("k2025:")

    configure(settings, env["PERSONAL_DATA_KEYS"], env["PERSONAL_DATA_HASH_KEY"])
    assert crypto.current_key_id() == "k2025"
    assert crypto.decrypt(crypto.encrypt("x")) == "x"


def test_the_generate_command_rotates_by_prepending_a_new_key():
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_personal_data_keys", "--rotate", "--key-id", "k3", stdout=out, stderr=err)
    env = _env_lines(out.getvalue())
    entries = env["PERSONAL_DATA_KEYS"].split(",")
    assert entries[0].startswith("k3:")
    assert entries[1:] == [f"new:{NEW_KEY}", f"old:{OLD_KEY}"]
    assert "PERSONAL_DATA_HASH_KEY" not in env
    assert "Keep PERSONAL_DATA_HASH_KEY unchanged" in err.getvalue()


@pytest.mark.parametrize("args", [["--key-id", "bad id"], ["--rotate", "--key-id", "old"]])
def test_the_generate_command_refuses_a_bad_or_reused_key_id(args):
    with pytest.raises(CommandError, match="key id"):
        call_command("generate_personal_data_keys", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_random_nonces_do_not_repeat_over_many_tokens():
    nonces = {crypto.encrypt("x")[5:17] for _ in range(2000)}
    assert len(nonces) == 2000
