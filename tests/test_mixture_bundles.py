"""The shipped bundles' mixtures give the numbers they gave before the estimator became a scikit-learn
classifier: the bundle format is unchanged, and so is every score, prediction, draw and measure.

BEFORE holds numbers computed from the first 64 stored map codes of each bundle with the code as it was
(per-class mixture and the one-mixture baseline). Both ways a bundle's mixtures are used are checked:
the numpy-only core that `LatentModel` loads, and the scikit-learn estimator built `from_arrays`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from latent.density import measures
from latent.density.mixture import ClassGaussianMixture
from latent.density.scorer import MixtureScorer, SingleMixtureScorer
from latent.density.single_mixture import SingleGaussianMixture

RTOL = 1e-9  # the same arithmetic gives the same bits; the margin only absorbs another CPU's BLAS

BEFORE = {  # computed with the code as it was before the estimator became a scikit-learn classifier
    "mnist": {
        "labels": "7210414959069015973496654074013134727121174235124463556041957893",
        "single_labels": "7210419459069013473496654074013134722121124235124463536041457243",
        "ll_00": [
            -61.79585825853697,
            -42.11416675202881,
            -48.10378077565635,
            -38.52319492417371,
            -56.802093232371895,
            -55.979550718239345,
            -91.51451158812385,
            -17.358664573314783,
            -44.420620245297556,
            -41.01273889622123,
        ],
        "sample": [-1.345944285078064, 0.02924365845179333, 3.018227042248559, 2.114952115159941],
        "sample_comps": [4, 0, 0],
        "ll_sum": -36090.99583950472,
        "proba_sum_sq": 63.144019046461,
        "score_samples_sum": -1648.0971116429055,
        "component_ll_sum": -26911.9234466796,
        "sample_component_sum": 6.4114021389759355,
        "entropy_mc_sum": 251.18117521690462,
        "entropy_bound_sum": 254.04371748708945,
        "kl_mc_sum": 3285.8390903049644,
        "kl_variational_sum": 3381.3866732685565,
        "single_proba_sum_sq": 46.41014824168145,
        "single_score_sum": -1774.6580690043306,
        "single_sample_sum": -11.796825352211675,
    },
    "fashion-mnist": {
        "labels": "9211614657455341268027751260938833807579016967212644582284807785",
        "single_labels": "9811214477257141289027751443938813807779013949418422784294907787",
        "ll_00": [
            -156.62618518783512,
            -306.19700530048067,
            -185.0872707720916,
            -282.0342272775835,
            -275.51607953392795,
            -43.86981722522409,
            -215.6020118918637,
            -34.696228851650346,
            -142.6893899813932,
            0.42080854342018137,
        ],
        "sample": [-0.7535538373663251, 1.774375185411966, 0.6792614695307069, -1.0550231593031127],
        "sample_comps": [4, 1, 0],
        "ll_sum": -111714.81538417544,
        "proba_sum_sq": 61.99995665210224,
        "score_samples_sum": -969.9296244114475,
        "component_ll_sum": -293963.2001338087,
        "sample_component_sum": -19.526844814979757,
        "entropy_mc_sum": 185.0354376216614,
        "entropy_bound_sum": 183.42508781192717,
        "kl_mc_sum": 15623.87745522912,
        "kl_variational_sum": 16104.904944918779,
        "single_proba_sum_sq": 29.723280857915153,
        "single_score_sum": -1704.2608216718195,
        "single_sample_sum": -13.854469032164314,
    },
    "mnist-joint": {
        "labels": "7210414959069015973496654074013134727121174235124463556041957893",
        "single_labels": "7210414959069015973496654074013134727121174235124463556041957893",
        "ll_00": [
            -58.99477457818336,
            -64.78807757987249,
            -50.58786898967901,
            -47.33517469883162,
            -68.46485755132565,
            -57.11677805114225,
            -99.84963439933085,
            -17.539149524682514,
            -58.64766288558538,
            -45.65223414734999,
        ],
        "sample": [-1.7434394620564224, -0.9882087497718479, 3.0658377158170826, 0.8928870827618227],
        "sample_comps": [2, 0, 0],
        "ll_sum": -43504.126308417195,
        "proba_sum_sq": 63.99865160826457,
        "score_samples_sum": -1495.6558286919285,
        "component_ll_sum": -29168.61302533844,
        "sample_component_sum": -7.780280712827088,
        "entropy_mc_sum": 225.88031125561838,
        "entropy_bound_sum": 228.88635716458614,
        "kl_mc_sum": 4787.332166846314,
        "kl_variational_sum": 4929.7217835740075,
        "single_proba_sum_sq": 62.82954912652971,
        "single_score_sum": -1593.858135301325,
        "single_sample_sum": -24.319029897931934,
    },
    "fashion-mnist-joint": {
        "labels": "9211614657457341248025751260948833807579016967212644582284807785",
        "single_labels": "7211214457457341268027751243738833807577013747216222584284807785",
        "ll_00": [
            -469.92841445831687,
            -725.9727710555495,
            -424.53551944508627,
            -586.0619280882462,
            -541.2702726315424,
            -101.03637366046159,
            -349.7339471273424,
            -165.94250854476877,
            -295.42216261943,
            -14.198021807961384,
        ],
        "sample": [-3.30824879922563, 0.14035549768907146, 0.26129053244661177, -0.0782344219172017],
        "sample_comps": [4, 2, 0],
        "ll_sum": -170239.60989694233,
        "proba_sum_sq": 63.479486268109554,
        "score_samples_sum": -2175.4012616495365,
        "component_ll_sum": -277352.55604789825,
        "sample_component_sum": -7.53226410686411,
        "entropy_mc_sum": 383.93359058618,
        "entropy_bound_sum": 382.88682282448906,
        "kl_mc_sum": 23654.273021994493,
        "kl_variational_sum": 24511.427446152564,
        "single_proba_sum_sq": 39.68319712794512,
        "single_score_sum": -3061.44949922897,
        "single_sample_sum": 8.04000442386868,
    },
}

# LatentModel.classify(first 64 map codes, reject_below=the bundle's threshold), before the change.
CLASSIFY_BEFORE = {
    "labels": "7210414959069015973496654074013134727121174235124463556041957893",
    "proba_sum_sq": 63.144019046461,
    "max_ll_sum": -1501.7358578702274,
}


def read_npz(name: str, file: str) -> dict[str, np.ndarray]:
    with np.load(ROOT / "assets" / name / file, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def mixtures(name: str, kind: str):
    """(per-class mixture, one-mixture baseline) of a shipped bundle, as the core or as the estimator."""
    arrays, single = read_npz(name, "mixture.npz"), read_npz(name, "single_mixture.npz")
    if kind == "core":
        return MixtureScorer.from_arrays(arrays), SingleMixtureScorer.from_arrays(single)
    params = json.loads((ROOT / "assets" / name / "manifest.json").read_text())["config"]["mixture"]
    return ClassGaussianMixture.from_arrays(arrays, params), SingleGaussianMixture.from_arrays(single)


def digits(labels: np.ndarray) -> str:
    return "".join(str(int(v)) for v in labels)


@pytest.mark.parametrize("kind", ["core", "estimator"])
@pytest.mark.parametrize("name", sorted(BEFORE))
def test_shipped_mixtures_give_the_numbers_they_gave_before(name, kind):
    want = BEFORE[name]
    mix, single = mixtures(name, kind)
    Z = read_npz(name, "map.npz")["codes"][:64].astype(np.float64)
    ll = mix.log_likelihoods(Z)
    assert digits(mix.predict(Z)) == want["labels"]
    np.testing.assert_allclose(ll[0], want["ll_00"], rtol=RTOL)
    np.testing.assert_allclose(ll.sum(), want["ll_sum"], rtol=RTOL)
    np.testing.assert_allclose((mix.predict_proba(Z) ** 2).sum(), want["proba_sum_sq"], rtol=RTOL)
    np.testing.assert_allclose(mix.score_samples(Z).sum(), want["score_samples_sum"], rtol=RTOL)
    k3 = int(mix.n_components_[3])
    np.testing.assert_allclose(mix.component_log_likelihoods(Z, 3)[:, :k3].sum(), want["component_ll_sum"], rtol=RTOL)
    S, comps = mix.sample(mix.classes_[1], 3, random_state=0)
    np.testing.assert_allclose(S[0, :4], want["sample"], rtol=RTOL)
    assert comps.tolist() == want["sample_comps"]
    S1, _ = mix.sample(mix.classes_[2], 2, component=1, random_state=1)
    np.testing.assert_allclose(S1.sum(), want["sample_component_sum"], rtol=RTOL)
    measured = {
        "entropy_mc_sum": measures.entropy(mix, n_samples=200, random_state=0).value.sum(),
        "entropy_bound_sum": measures.entropy(mix, method="bound").value.sum(),
        "kl_mc_sum": measures.kl_matrix(mix, n_samples=100, random_state=0).value.sum(),
        "kl_variational_sum": measures.kl_matrix(mix, method="variational").value.sum(),
    }
    np.testing.assert_allclose(list(measured.values()), [want[k] for k in measured], rtol=RTOL)
    assert digits(single.predict(Z)) == want["single_labels"]
    np.testing.assert_allclose((single.predict_proba(Z) ** 2).sum(), want["single_proba_sum_sq"], rtol=RTOL)
    np.testing.assert_allclose(single.score_samples(Z).sum(), want["single_score_sum"], rtol=RTOL)
    np.testing.assert_allclose(single.sample(5, random_state=0)[0].sum(), want["single_sample_sum"], rtol=RTOL)


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_the_core_writes_back_the_arrays_it_was_read_from(name):
    for file, core in (("mixture.npz", MixtureScorer), ("single_mixture.npz", SingleMixtureScorer)):
        arrays = read_npz(name, file)
        again = core.from_arrays(arrays).to_arrays()
        assert sorted(again) == sorted(arrays)
        for key, value in arrays.items():
            assert again[key].dtype == value.dtype and np.array_equal(again[key], value), (file, key)


def test_loading_a_bundle_never_imports_sklearn_and_classifies_as_before():
    """The app loads models with the numpy-only core: importing scikit-learn would cost it seconds. (The
    probabilities compared are the mixtures' own; what the app shows adds the bundle's temperature.)"""
    script = """
import json, sys
import numpy as np
from latent.bundle.model import LatentModel
model = LatentModel.load("assets/mnist")
Z = model.map.codes[:64].astype(np.float64)
c = model.classify(Z, reject_below=model.threshold)
print(json.dumps({"sklearn": "sklearn" in sys.modules, "labels": "".join(str(int(v)) for v in c.labels),
                  "proba_sum_sq": float((model.mixture.predict_proba(Z) ** 2).sum()),
                  "max_ll_sum": float(c.max_log_likelihood.sum())}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["sklearn"] is False
    assert got["labels"] == CLASSIFY_BEFORE["labels"]
    np.testing.assert_allclose(
        [got["proba_sum_sq"], got["max_ll_sum"]],
        [CLASSIFY_BEFORE["proba_sum_sq"], CLASSIFY_BEFORE["max_ll_sum"]],
        rtol=RTOL,
    )
