"""A synthetic catalogue of generative models, for benchmarks: deterministic from a seed, streamed as N-Triples.

The catalogue uses the ontology's own vocabulary, so the shipped inferences apply to it: models typed
``gai:LargeLanguageModel`` or ``gai:GenerativeModel``, grouped in families of up to ten versions (each the
successor of the one before), developed by organisations, with input and output modalities and an
architecture taken from the ontology's named individuals, a release month, a parameter count and, for
language models, a context window. About one model in twenty powers a product. Nothing is held in memory
but the family being written, so a million models (about eleven million triples) stream in constant memory.

>>> text = "".join(generate(3, seed=1))
>>> text.count("\\n") == count_triples(text)
True
>>> "<https://w3id.org/genai-kg/id/SynModel_0> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>" in text
True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from .namespaces import GAI, GAID

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Models per family: a family's versions succeed each other.
FAMILY_SIZE = 10
#: Models per organisation, on average.
MODELS_PER_ORGANIZATION = 100
#: One model in this many powers a product.
MODELS_PER_PRODUCT = 20
#: Models written per chunk of output.
CHUNK_MODELS = 1000

CONTEXT_WINDOWS = (2048, 4096, 8192, 32768, 128000, 200000, 1000000)


def _gai(local: str) -> str:
    return f"<{GAI}{local}>"


@dataclass(frozen=True)
class Profile:
    """A kind of model: its class, modalities and the architectures it may have (the first most often)."""

    kind: str
    cls: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    architectures: tuple[str, ...]
    weight: int


PROFILES = (
    Profile("text LLM", "LargeLanguageModel", ("Text",), ("Text",), ("Transformer",), 35),
    Profile("multimodal LLM", "LargeLanguageModel", ("Text", "Image"), ("Text",), ("Transformer",), 15),
    Profile("code LLM", "LargeLanguageModel", ("Text", "Code"), ("Text", "Code"), ("Transformer",), 10),
    Profile("image model", "GenerativeModel", ("Text",), ("Image",), ("Diffusion", "GAN", "VAE"), 20),
    Profile("video model", "GenerativeModel", ("Text", "Image"), ("Video",), ("Diffusion", "Transformer"), 7),
    Profile("audio model", "GenerativeModel", ("Text",), ("Audio",), ("Transformer", "Diffusion"), 6),
    Profile("music model", "GenerativeModel", ("Text",), ("Music",), ("Transformer", "Diffusion"), 4),
    Profile("3D model", "GenerativeModel", ("Text", "Image"), ("ThreeD",), ("Diffusion",), 3),
)

#: Every class and property the catalogue uses, as full IRIs (tests check them against the ontology).
VOCABULARY = frozenset(
    GAI + local
    for local in (
        "LargeLanguageModel",
        "GenerativeModel",
        "ModelFamily",
        "Organization",
        "Product",
        "memberOf",
        "developedBy",
        "inputModality",
        "outputModality",
        "architecture",
        "releaseDate",
        "parameterCount",
        "contextWindowTokens",
        "successorOf",
        "poweredBy",
    )
)
#: The named individuals the catalogue refers to.
INDIVIDUALS = frozenset(
    {GAI + m + "Modality" for p in PROFILES for m in p.inputs + p.outputs}
    | {GAI + a + "Architecture" for p in PROFILES for a in p.architectures}
)


def model_iri(index: int) -> str:
    return f"{GAID}SynModel_{index}"


def family_iri(index: int) -> str:
    return f"{GAID}SynFamily_{index}"


def organization_iri(index: int) -> str:
    return f"{GAID}SynOrg_{index}"


def product_iri(index: int) -> str:
    return f"{GAID}SynProduct_{index}"


def organizations(models: int) -> int:
    """How many organisations a catalogue of ``models`` models has."""
    return (models + MODELS_PER_ORGANIZATION - 1) // MODELS_PER_ORGANIZATION


def families(models: int) -> int:
    """How many families a catalogue of ``models`` models has."""
    return (models + FAMILY_SIZE - 1) // FAMILY_SIZE


def count_triples(text: str) -> int:
    """The number of triples in N-Triples text written by :func:`generate` (one per line)."""
    return text.count("\n")


class _Family:
    """What the versions of one family share, drawn when its first version is written."""

    def __init__(self, index: int, rng: random.Random, n_orgs: int) -> None:
        self.iri = f"<{family_iri(index)}>"
        self.org = f"<{organization_iri(rng.randrange(n_orgs))}>"
        self.profile = rng.choices(PROFILES, weights=[p.weight for p in PROFILES])[0]
        archs = self.profile.architectures
        name = archs[0] if len(archs) == 1 or rng.random() < 0.7 else rng.choice(archs[1:])
        self.architecture = _gai(name + "Architecture")
        self.month = rng.randrange(2018 * 12, 2025 * 12)
        self.log_size = (
            9.0 + 3.0 * rng.random() if self.profile.cls == "LargeLanguageModel" else 8.0 + 2.5 * rng.random()
        )
        self.lines = [
            f"{self.iri} {RDF_TYPE} {_gai('ModelFamily')} .\n",
            f'{self.iri} {RDFS_LABEL} "Synthetic family {index}"@en .\n',
            f"{self.iri} {_gai('developedBy')} {self.org} .\n",
        ]


def generate(models: int, *, seed: int = 0) -> Iterator[str]:
    """Yield the catalogue of ``models`` models as chunks of N-Triples text; the same seed gives the same text."""
    if models < 0:
        raise ValueError("the number of models cannot be negative")
    rng = random.Random(seed)
    n_orgs = organizations(models)
    org_type = _gai("Organization")
    for start in range(0, n_orgs, CHUNK_MODELS):
        yield "".join(
            f'<{organization_iri(o)}> {RDF_TYPE} {org_type} .\n<{organization_iri(o)}> {RDFS_LABEL} "Synthetic organisation {o}"@en .\n'
            for o in range(start, min(n_orgs, start + CHUNK_MODELS))
        )
    p_member, p_dev, p_succ = _gai("memberOf"), _gai("developedBy"), _gai("successorOf")
    p_in, p_out, p_arch = _gai("inputModality"), _gai("outputModality"), _gai("architecture")
    p_date, p_params, p_context = _gai("releaseDate"), _gai("parameterCount"), _gai("contextWindowTokens")
    p_powered, product_type = _gai("poweredBy"), _gai("Product")
    modality = {m: _gai(m + "Modality") for p in PROFILES for m in p.inputs + p.outputs}
    year_month, integer = f"<{XSD}gYearMonth>", f"<{XSD}integer>"
    family: _Family | None = None
    lines: list[str] = []
    for i in range(models):
        version = i % FAMILY_SIZE
        if version == 0:
            family = _Family(i // FAMILY_SIZE, rng, n_orgs)
            lines += family.lines
        assert family is not None
        profile = family.profile
        m = f"<{model_iri(i)}>"
        month = family.month + version * (1 + rng.randrange(6))
        params = int(10 ** (family.log_size + version * 0.1 + 0.3 * rng.random()))
        lines += [
            f"{m} {RDF_TYPE} {_gai(profile.cls)} .\n",
            f'{m} {RDFS_LABEL} "Synthetic model {i}"@en .\n',
            f"{m} {p_member} {family.iri} .\n",
            f"{m} {p_dev} {family.org} .\n",
            f"{m} {p_arch} {family.architecture} .\n",
            f'{m} {p_date} "{month // 12:04d}-{month % 12 + 1:02d}"^^{year_month} .\n',
            f'{m} {p_params} "{params}"^^{integer} .\n',
        ]
        lines += [f"{m} {p_in} {modality[x]} .\n" for x in profile.inputs]
        lines += [f"{m} {p_out} {modality[x]} .\n" for x in profile.outputs]
        if profile.cls == "LargeLanguageModel":
            window = CONTEXT_WINDOWS[min(len(CONTEXT_WINDOWS) - 1, version // 2 + rng.randrange(3))]
            lines.append(f'{m} {p_context} "{window}"^^{integer} .\n')
        if version:
            lines.append(f"{m} {p_succ} <{model_iri(i - 1)}> .\n")
        if i % MODELS_PER_PRODUCT == MODELS_PER_PRODUCT - 1:
            p = f"<{product_iri(i // MODELS_PER_PRODUCT)}>"
            lines += [
                f"{p} {RDF_TYPE} {product_type} .\n",
                f'{p} {RDFS_LABEL} "Synthetic product {i // MODELS_PER_PRODUCT}"@en .\n',
                f"{p} {p_powered} {m} .\n",
                f"{p} {p_dev} {family.org} .\n",
            ]
        if i % CHUNK_MODELS == CHUNK_MODELS - 1:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def write(models: int, output: IO[bytes], *, seed: int = 0, progress: Callable[[int], None] | None = None) -> int:
    """Write the catalogue to a binary stream as N-Triples; returns the number of triples (also told to ``progress``)."""
    triples = 0
    for chunk in generate(models, seed=seed):
        output.write(chunk.encode())
        count = count_triples(chunk)
        triples += count
        if progress is not None:
            progress(count)
    return triples
