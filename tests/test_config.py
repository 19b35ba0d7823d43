"""Config: overlays, --set, validation errors that name the key."""

from __future__ import annotations

import pytest

from jobs.config import ConfigError, load_config


def test_base_and_local_overlay():
    config = load_config(["conf/local.yaml"])
    assert config.spark.master == "local[2]"
    assert config.window.days == 90
    assert set(config.networks) >= {
        "twitter",
        "facebook",
        "google_plus",
        "instagram",
        "foursquare",
        "linkedin",
        "youtube",
        "klout",
        "qa",
    }


def test_cluster_example_is_valid():
    cluster = load_config(["conf/cluster.yaml"])
    assert cluster.lake.root.startswith("s3a://") and cluster.spark.master is None
    assert any(p.startswith("io.delta:delta-spark_4.2_2.13:") for p in cluster.spark.packages)


def test_set_overrides_typed_values():
    config = load_config(
        [], ["propagation.alpha=0.9", "networks.twitter.retweet=2", "window.days=30"]
    )
    assert config.propagation.alpha == 0.9
    assert config.networks["twitter"]["retweet"] == 2.0
    assert config.window.days == 30


def test_new_network_may_be_added():
    config = load_config([], ["networks.mastodon={boost: 1.0}"])
    assert config.networks["mastodon"] == {"boost": 1.0}


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("propagation.alhpa=0.9", "propagation.alhpa"),
        ("nonsense=1", "nonsense"),
        ("propagation.alpha=high", "propagation.alpha"),
        ("propagation.alpha=1.5", "propagation.alpha"),
        ("window.days=0", "window.days"),
        ("lake.lease_minutes=0", "lake.lease_minutes"),
        ("logging.level=LOUD", "logging.level"),
        ("spark.log_level=LOUD", "spark.log_level"),
        ("ingest.max_topics=0", "ingest.max_topics"),
        ("spark.packages=io.delta", "spark.packages"),
        ("propagation.warm_start=3", "propagation.warm_start"),
        ("networks.twitter.retweet=-1", "networks.twitter.retweet"),
    ],
)
def test_bad_settings_name_the_key(override, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config([], [override])


def test_unknown_key_in_overlay_file(tmp_path):
    overlay = tmp_path / "bad.yaml"
    overlay.write_text("spark:\n  mastr: local[1]\n")
    with pytest.raises(ConfigError, match=r"spark\.mastr"):
        load_config([overlay])


def test_hash_changes_with_settings_only():
    # The hash is of the settings' values, not of how they were given: the default set again
    # with --set keeps it.
    assert load_config([], ["propagation.alpha=0.85"]).config_hash == load_config([]).config_hash
    assert load_config([]).config_hash != load_config([], ["propagation.alpha=0.8"]).config_hash
