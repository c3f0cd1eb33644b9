"""The RDF, RDFS and OWL terms the rules read, each with a fixed small integer id in every dictionary."""

from __future__ import annotations

from pyoxigraph import NamedNode

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"

#: The vocabulary in id order: ``TERMS[TYPE]`` is rdf:type, and so on.
TERMS: tuple[str, ...] = (
    RDF + "type",
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    RDFS + "domain",
    RDFS + "range",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    OWL + "inverseOf",
    OWL + "intersectionOf",
    OWL + "unionOf",
    OWL + "someValuesFrom",
    OWL + "allValuesFrom",
    OWL + "hasValue",
    OWL + "onProperty",
    OWL + "propertyChainAxiom",
    OWL + "maxCardinality",
    OWL + "maxQualifiedCardinality",
    OWL + "onClass",
    OWL + "disjointWith",
    OWL + "members",
    OWL + "complementOf",
    OWL + "propertyDisjointWith",
    OWL + "sameAs",
    OWL + "differentFrom",
    RDF + "first",
    RDF + "rest",
    RDF + "nil",
    OWL + "Thing",
    OWL + "Nothing",
    OWL + "TransitiveProperty",
    OWL + "SymmetricProperty",
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    OWL + "IrreflexiveProperty",
    OWL + "AsymmetricProperty",
    OWL + "AllDisjointClasses",
    OWL + "AllDifferent",
    OWL + "distinctMembers",
    RDFS + "label",
    OWL + "oneOf",
    OWL + "hasKey",
    OWL + "sourceIndividual",
    OWL + "assertionProperty",
    OWL + "targetIndividual",
    OWL + "targetValue",
    RDFS + "Literal",
)

(
    TYPE,
    SUBCLASS,
    SUBPROPERTY,
    DOMAIN,
    RANGE,
    EQUIVALENT_CLASS,
    EQUIVALENT_PROPERTY,
    INVERSE,
    INTERSECTION,
    UNION,
    SOME_VALUES,
    ALL_VALUES,
    HAS_VALUE,
    ON_PROPERTY,
    CHAIN,
    MAX_CARDINALITY,
    MAX_QUALIFIED,
    ON_CLASS,
    DISJOINT_WITH,
    MEMBERS,
    COMPLEMENT,
    PROPERTY_DISJOINT,
    SAME_AS,
    DIFFERENT_FROM,
    FIRST,
    REST,
    NIL,
    THING,
    NOTHING,
    TRANSITIVE,
    SYMMETRIC,
    FUNCTIONAL,
    INVERSE_FUNCTIONAL,
    IRREFLEXIVE,
    ASYMMETRIC,
    ALL_DISJOINT,
    ALL_DIFFERENT,
    DISTINCT_MEMBERS,
    LABEL,
    ONE_OF,
    HAS_KEY,
    SOURCE_INDIVIDUAL,
    ASSERTION_PROPERTY,
    TARGET_INDIVIDUAL,
    TARGET_VALUE,
    LITERAL,
) = range(len(TERMS))

#: Predicates whose triples change the compiled rules: a write touching one recompiles the schema.
SCHEMA_PREDICATES = frozenset(
    {
        SUBCLASS,
        SUBPROPERTY,
        DOMAIN,
        RANGE,
        EQUIVALENT_CLASS,
        EQUIVALENT_PROPERTY,
        INVERSE,
        INTERSECTION,
        UNION,
        SOME_VALUES,
        ALL_VALUES,
        HAS_VALUE,
        ON_PROPERTY,
        CHAIN,
        MAX_CARDINALITY,
        MAX_QUALIFIED,
        ON_CLASS,
        FIRST,
        REST,
        ONE_OF,
        HAS_KEY,
    }
)

#: Classes whose ``rdf:type`` triples change the compiled rules (property characteristics).
SCHEMA_TYPES = frozenset({TRANSITIVE, SYMMETRIC, FUNCTIONAL, INVERSE_FUNCTIONAL})

#: The vocabulary as terms: ``NODES[TYPE]`` is rdf:type.
NODES: tuple[NamedNode, ...] = tuple(NamedNode(iri) for iri in TERMS)
