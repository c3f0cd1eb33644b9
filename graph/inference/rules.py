"""The rules as tables compiled from one ontology: what each rdf:type or property triple entails.

The schema closure (:mod:`.schema`) fills a :class:`Rules`, from which :mod:`.program` writes the instance
rules as SPARQL queries, so instance reasoning never re-reads the ontology. Every entry carries the schema triple
that justifies it (an ``axiom``), which becomes a premise of each derivation and so of each explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Triple = tuple[int, int, int]
Axiom = Triple

#: The OWL 2 RL rule names (W3C OWL 2 Profiles, section 4.3) used in derivations, with what each says.
RULES: dict[str, str] = {
    "cax-sco": "an instance of a class is an instance of its superclasses",
    "cax-eqc": "an instance of a class is an instance of its equivalent classes",
    "prp-dom": "the subject of a property is an instance of its domain",
    "prp-rng": "the object of a property is an instance of its range",
    "prp-spo1": "a property's statements hold for its superproperties",
    "prp-spo2": "a property chain entails its property",
    "prp-inv": "a property's statements hold reversed for its inverse",
    "prp-symp": "a symmetric property holds both ways",
    "prp-trp": "a transitive property chains",
    "prp-fp": "two values of a functional property are the same individual",
    "prp-ifp": "two subjects of an inverse-functional property's value are the same individual",
    "cls-int1": "an instance of every class of an intersection is an instance of the intersection",
    "cls-svf1": "something related by the property to an instance of the filler is in the restriction",
    "cls-svf2": "something related by the property to anything is in the restriction on owl:Thing",
    "cls-hv1": "an instance of a hasValue restriction has the value",
    "cls-hv2": "something with the value is in the hasValue restriction",
    "cls-avf": "the values of an allValuesFrom restriction's members are instances of the filler",
    "cls-maxc2": "two values of a property limited to one value are the same individual",
    "cls-maxqc3": "two values in a class of a property limited to one value in that class are the same individual",
    "cls-maxqc4": "two values of a property limited to one value of owl:Thing are the same individual",
    "prp-key": "two instances of a class with the same values of its key properties are the same individual",
    "cls-oo": "the members of an enumeration are instances of it",
    "eq-sym": "sameAs is symmetric",
    "eq-trans": "sameAs is transitive",
    "eq-rep-s": "the same individual has the same statements (as subject)",
    "eq-rep-o": "the same individual has the same statements (as object)",
    "scm-sco": "subClassOf is transitive",
    "scm-spo": "subPropertyOf is transitive",
    "scm-eqc1": "equivalent classes are subclasses of each other",
    "scm-eqc2": "classes that are subclasses of each other are equivalent",
    "scm-eqp1": "equivalent properties are subproperties of each other",
    "scm-eqp2": "properties that are subproperties of each other are equivalent",
    "scm-dom1": "a property's domain extends to the domain's superclasses",
    "scm-dom2": "a property has the domains of its superproperties",
    "scm-rng1": "a property's range extends to the range's superclasses",
    "scm-rng2": "a property has the ranges of its superproperties",
    "scm-int": "an intersection is a subclass of each of its classes",
    "scm-uni": "each class of a union is a subclass of the union",
    "scm-int-sub": "a subclass of every class of an intersection is a subclass of the intersection",
    "scm-svf": "an existential restriction is a subclass of one on a superproperty with a superclass filler",
    "scm-hv": "a hasValue restriction is a subclass of one with the same value on a superproperty",
    "scm-avf1": "a universal restriction is a subclass of one on the same property with a superclass filler",
    "scm-avf2": "a universal restriction on a superproperty is a subclass of one on its subproperty",
}


@dataclass
class Rules:
    """Lookup tables for instance reasoning, compiled from the closed schema; ids of the schema's dictionary."""

    superclasses: dict[int, list[tuple[int, Axiom]]] = field(default_factory=dict)
    superproperties: dict[int, list[tuple[int, Axiom]]] = field(default_factory=dict)
    domains: dict[int, list[tuple[int, Axiom]]] = field(default_factory=dict)
    ranges: dict[int, list[tuple[int, Axiom]]] = field(default_factory=dict)
    inverses: dict[int, list[tuple[int, Axiom]]] = field(default_factory=dict)
    symmetric: dict[int, Axiom] = field(default_factory=dict)
    transitive: dict[int, Axiom] = field(default_factory=dict)
    functional: dict[int, Axiom] = field(default_factory=dict)
    inverse_functional: dict[int, Axiom] = field(default_factory=dict)
    #: (chain's property, the chain, axiom)
    chains: list[tuple[int, tuple[int, ...], Axiom]] = field(default_factory=list)
    #: (restriction, property, filler or value, axiom) of someValuesFrom, hasValue and allValuesFrom
    some: list[tuple[int, int, int, Axiom]] = field(default_factory=list)
    has_value: list[tuple[int, int, int, Axiom]] = field(default_factory=list)
    all_values: list[tuple[int, int, int, Axiom]] = field(default_factory=list)
    #: (qualified) cardinality at most 1: (restriction, property, class of the values or owl:Thing, axiom)
    single: list[tuple[int, int, int, Axiom]] = field(default_factory=list)
    #: owl:hasKey: (class, key properties, axiom)
    keys: list[tuple[int, tuple[int, ...], Axiom]] = field(default_factory=list)
    #: (intersection, its classes, axiom)
    intersections: list[tuple[int, tuple[int, ...], Axiom]] = field(default_factory=list)
