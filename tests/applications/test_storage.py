import base64
import hashlib
import os
import re

import pytest

from portal.applications import storage
from portal.applications.storage import (
    BlobIntegrityError,
    BlobNotFound,
    EncryptedFileStorage,
    InvalidBlobKey,
    KeyRing,
    KeyRingError,
    UnknownKeyError,
    rotate,
)

DOCUMENT = b"%PDF-1.7 acta de nacimiento de una persona ficticia"


def keyring(*entries: str) -> KeyRing:
    return KeyRing.from_config(",".join(entries))


def fixed_entry(key_id: str) -> str:
    """A key entry that is the same in every pytest process (the parameters
    that carry one must be collected identically by each xdist worker)."""
    return f"{key_id}:{base64.b64encode(hashlib.sha256(key_id.encode()).digest()).decode()}"


K0 = fixed_entry("k0")
K1 = fixed_entry("k1")


@pytest.fixture
def store(tmp_path):
    return EncryptedFileStorage(tmp_path / "documentos", keyring(K0))


def test_a_document_round_trips(store):
    key = store.put(DOCUMENT)
    assert store.exists(key)
    assert store.get(key) == DOCUMENT


def test_empty_and_large_documents_round_trip(store):
    large = os.urandom(3 * 1024 * 1024)
    assert store.get(store.put(b"")) == b""
    assert store.get(store.put(large)) == large


def test_keys_are_random_names_in_two_levels_of_folders(store):
    keys = {store.put(DOCUMENT) for _ in range(20)}
    assert len(keys) == 20
    for key in keys:
        assert re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}", key)
        assert (store.root / key).is_file()


def test_files_on_disk_are_encrypted_and_private(store):
    key = store.put(DOCUMENT)
    path = store.root / key
    raw = path.read_bytes()
    assert DOCUMENT not in raw
    assert b"acta" not in raw
    assert raw[:5] == b"VUB\x01\x02" and raw[5:7] == b"k0"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (store.root / key[:2]).stat().st_mode & 0o777 == 0o700


def test_the_same_document_twice_gives_different_ciphertexts(store):
    first, second = store.put(DOCUMENT), store.put(DOCUMENT)
    assert (store.root / first).read_bytes()[7:] != (store.root / second).read_bytes()[7:]


def test_delete_removes_and_is_idempotent(store):
    key = store.put(DOCUMENT)
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)
    with pytest.raises(BlobNotFound):
        store.get(key)


def test_a_missing_document_is_not_found(store):
    with pytest.raises(BlobNotFound):
        store.get("ab/cd/abcd" + "0" * 28)


def flip(path, offset):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("region", "offset"),
    [
        ("magic", 0),
        ("version", 3),
        ("key id length", 4),
        ("key id", 6),
        ("nonce", 7),
        ("ciphertext", 7 + 12 + 3),
        ("tag", -1),
    ],
)
def test_any_flipped_byte_is_detected(store, region, offset):
    key = store.put(DOCUMENT)
    flip(store.root / key, offset)
    with pytest.raises((BlobIntegrityError, UnknownKeyError)):
        store.get(key)


def test_a_flipped_ciphertext_byte_is_an_integrity_error(store):
    key = store.put(DOCUMENT)
    flip(store.root / key, 30)
    with pytest.raises(BlobIntegrityError, match="failed authentication"):
        store.get(key)


@pytest.mark.parametrize("keep", [0, 4, 20, 35])
def test_a_truncated_file_is_detected(store, keep):
    key = store.put(DOCUMENT)
    path = store.root / key
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(BlobIntegrityError):
        store.get(key)


def test_a_file_copied_over_another_documents_name_does_not_decrypt(store):
    mine, theirs = store.put(b"mi INE"), store.put(b"su INE")
    (store.root / theirs).write_bytes((store.root / mine).read_bytes())
    with pytest.raises(BlobIntegrityError):
        store.get(theirs)


def test_the_wrong_key_under_the_same_id_is_detected(store, tmp_path):
    key = store.put(DOCUMENT)
    impostor = EncryptedFileStorage(store.root, keyring(KeyRing.new_entry("k0")))
    with pytest.raises(BlobIntegrityError):
        impostor.get(key)


def test_a_key_missing_from_the_ring_is_named(store):
    key = store.put(DOCUMENT)
    other = EncryptedFileStorage(store.root, keyring(K1))
    with pytest.raises(UnknownKeyError, match="'k0'"):
        other.get(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "ab/cd/../../../etc/passwd",
        "/etc/passwd",
        "ab/cd/abcd" + "0" * 27,
        "ab/cd/abcd" + "0" * 29,
        "AB/CD/ABCD" + "0" * 28,
        "ab/cd/ffff" + "0" * 28,
        "ab\\cd\\abcd" + "0" * 28,
        "ab/cd/abcd" + "0" * 27 + "\n",
        "ab/cd/.tmp-abcd",
        "",
        None,
    ],
)
def test_keys_that_put_could_not_have_issued_are_refused(store, key):
    for operation in (store.get, store.exists, store.delete):
        with pytest.raises(InvalidBlobKey):
            operation(key)


def test_key_ring_parses_configuration_with_the_first_key_current():
    ring = keyring(K1, f" \n{K0} ")
    assert ring.current_id == "k1"
    assert set(ring.keys) == {"k0", "k1"}
    assert len(ring.current_key) == 32


def test_key_ring_accepts_url_safe_base64():
    raw = bytes(range(250, 256)) * 5 + b"\xfb\xff"
    ring = KeyRing.from_config("u:" + base64.urlsafe_b64encode(raw).decode())
    assert ring.current_key == raw


def test_key_rings_and_storages_never_show_key_material(store):
    secret = K0.partition(":")[2]
    assert secret not in repr(store.keyring)
    assert secret not in repr(store)
    assert "k0" in repr(store)


SHORT = base64.b64encode(b"x" * 16).decode()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("", "no storage keys configured"),
        (" , ", "no storage keys configured"),
        ("k0", "entry 1 is not of the form 'id:BASE64'"),
        (f"{K0},{SHORT}", "entry 2 is not of the form 'id:BASE64'"),
        (f"{K0},{K0}", "'k0' appears twice"),
        ("k0:not base64!", "'k0' is not valid base64"),
        (f"k0:{SHORT}", "'k0' is 16 bytes; AES-256-GCM needs 32"),
        ("mal id:" + K0.partition(":")[2], "must be 1 to 32 letters"),
    ],
)
def test_key_ring_configuration_errors_are_clear(config, message):
    with pytest.raises(KeyRingError, match=re.escape(message)) as error:
        KeyRing.from_config(config)
    assert K0.partition(":")[2] not in str(error.value)


def test_rotation_re_encrypts_everything_and_the_old_key_can_go(store):
    documents = {store.put(f"documento {i}".encode()): f"documento {i}".encode() for i in range(6)}
    new_ring = keyring(K1, K0)
    assert rotate(store, new_ring) == 6
    assert rotate(store, new_ring) == 0
    only_new = EncryptedFileStorage(store.root, keyring(K1))
    for key, data in documents.items():
        assert only_new.get(key) == data
        assert (store.root / key).read_bytes()[5:7] == b"k1"


def test_rotation_can_decrypt_with_the_storages_own_keys(store):
    key = store.put(DOCUMENT)
    assert rotate(store, keyring(K1)) == 1
    assert EncryptedFileStorage(store.root, keyring(K1)).get(key) == DOCUMENT


def test_an_interrupted_rotation_is_finished_by_running_it_again(store, monkeypatch):
    documents = {store.put(f"documento {i}".encode()): f"documento {i}".encode() for i in range(5)}
    new_ring = keyring(K1, K0)
    real_replace = os.replace
    calls = []

    def crash_on_third(source, destination):
        calls.append(destination)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_replace(source, destination)

    monkeypatch.setattr(storage.os, "replace", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        rotate(store, new_ring)
    monkeypatch.setattr(storage.os, "replace", real_replace)

    leftovers = [p for p in store.root.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    # Both halves are readable in the meantime with the combined ring.
    mixed = EncryptedFileStorage(store.root, new_ring)
    assert all(mixed.get(key) == data for key, data in documents.items())
    assert rotate(store, new_ring) == 3
    only_new = EncryptedFileStorage(store.root, keyring(K1))
    assert all(only_new.get(key) == data for key, data in documents.items())


def test_stray_temporary_files_are_not_blobs(store):
    key = store.put(DOCUMENT)
    (store.root / key).with_name(".tmp-abc").write_bytes(b"half written")
    (store.root / "notes.txt").write_text("not a blob")
    assert list(store.blob_keys()) == [key]
    assert rotate(store, keyring(K1, K0)) == 1


def test_workers_starting_together_all_read_one_whole_development_key(tmp_path):
    """Twenty threads asking for the development key of a fresh instance folder
    at once: none reads a half-written file, and all get the same key (CI once
    met a thread that read the key file between its creation and its write)."""
    import threading

    from portal.applications.documents import DEV_KEY_FILE, keyring_from_config

    config = {"STORAGE_KEYS": "", "PORTAL_ENV": "development", "INSTANCE_PATH": str(tmp_path)}
    barrier = threading.Barrier(20)
    outcomes: list = []

    def start():
        barrier.wait()
        try:
            outcomes.append(keyring_from_config(config).keys)
        except Exception as exc:  # noqa: BLE001 - the outcome is what is tested
            outcomes.append(exc)

    threads = [threading.Thread(target=start) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 20
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert all(o == outcomes[0] for o in outcomes)
    assert [p.name for p in tmp_path.iterdir()] == [DEV_KEY_FILE]
    assert (tmp_path / DEV_KEY_FILE).stat().st_mode & 0o777 == 0o600
