"""Deterministic demo data: typing courses and the enrolments of demo users.

Courses are composed from hand-written per-category vocabulary (topics, title patterns,
description sentences) with a seeded ``random.Random``, so every run yields the same data.
Nothing here reads the clock; enrolment dates are relative to an explicit ``now``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from records.catalog import Category, CourseDraft, Difficulty

MAX_SLUG_LENGTH: Final = 120
MAX_TITLE_LENGTH: Final = 200
MAX_DESCRIPTION_LENGTH: Final = 5000
CURRENCY: Final = "INR"

DEMO_COURSE_SEED: Final = 20240611
DEMO_SUBSCRIPTION_SEED: Final = 611
DEMO_USERS: Final[tuple[int, ...]] = tuple(range(1, 51))
SHOWCASE_USER: Final = 1  # always has both an active and an expired subscription

ALL_DIFFICULTIES: Final[tuple[Difficulty, ...]] = tuple(Difficulty)
_BEGINNER, _INTERMEDIATE, _ADVANCED = ALL_DIFFICULTIES

_FREE_SHARE: Final = 0.2
_INACTIVE_SHARE: Final = 0.03
_PAID_PRICES_PAISE: Final[Mapping[Difficulty, tuple[int, ...]]] = {
    Difficulty.BEGINNER: (19900, 29900, 49900),
    Difficulty.INTERMEDIATE: (49900, 79900, 99900),
    Difficulty.ADVANCED: (99900, 149900, 199900),
}
# Repetition weights the draw: lifetime, half-year and one-year access are the most common.
_VALIDITY_DAYS_CHOICES: Final[tuple[int | None, ...]] = (
    None,
    None,
    30,
    90,
    90,
    180,
    180,
    365,
    365,
    730,
)

_MIN_EXPIRED_PERCENT: Final = 20
_ENROLMENT_WINDOW: Final = timedelta(days=730)
_MAX_COURSES_PER_USER: Final = 8

LANGUAGE_NAMES: Final[Mapping[str, str]] = {
    "en": "English",
    "hi": "Hindi",
    "ta": "Tamil",
    "mr": "Marathi",
    "bn": "Bengali",
    "te": "Telugu",
    "kn": "Kannada",
    "gu": "Gujarati",
    "pa": "Punjabi",
    "ml": "Malayalam",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
}


@dataclass(frozen=True, slots=True)
class Topic:
    """What a course is about; one demo course is made per topic and difficulty."""

    name: str  # fills "{topic}" in a title pattern
    skill: str  # what the learner gets good at; fills "{skill}" in a description opener
    tags: tuple[str, ...]  # one to three; the category tag is added on top
    language: str | None = None  # fixed content language; None: any instruction language
    qualifier: str | None = None  # appended to the title in brackets, e.g. "Hindi - Mangal"
    difficulties: tuple[Difficulty, ...] = ALL_DIFFICULTIES


@dataclass(frozen=True, slots=True)
class CategoryVocabulary:
    category: Category
    tag: str
    topics: tuple[Topic, ...]
    title_patterns: Mapping[Difficulty, tuple[str, ...]]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    # Repetition weights the draw for topics without a fixed language.
    instruction_languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class DemoEnrolment:
    user_id: int
    course_id: int
    enrolled_at: datetime  # timezone-aware UTC
    expires_at: datetime | None  # timezone-aware UTC; None: lifetime access

    def is_expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


_LEVEL_SENTENCES: Final[Mapping[Difficulty, tuple[str, ...]]] = {
    Difficulty.BEGINNER: (
        "No prior typing experience is needed.",
        "Lessons take about ten minutes each and start with a short demonstration.",
        "Ideal if you still glance at the keyboard while you type.",
        "Every new key is introduced slowly and revisited in later lessons.",
    ),
    Difficulty.INTERMEDIATE: (
        "Suited to learners who already type between 25 and 45 words per minute.",
        "Drills adapt to the keys you miss most often.",
        "Weekly progress tests show where your speed and accuracy stand.",
        "Practice moves from single words to full paragraphs.",
    ),
    Difficulty.ADVANCED: (
        "Aimed at typists already above 60 words per minute who want a measurable edge.",
        "Expect long passages, strict accuracy targets and timed tests.",
        "Detailed per-key statistics expose the last slow finger movements.",
        "Sessions are intense and best done daily in short blocks.",
    ),
}

_LANGUAGE_NOTES: Final[tuple[str, ...]] = (
    "All lessons and instructions are in {language}.",
    "The course is taught in {language}.",
    "Explanations and feedback are given in {language}.",
)

_STANDARD_LANGUAGES: Final = ("en",) * 8 + ("hi", "hi", "ta", "mr", "bn", "te")

_VOCABULARY: Final[tuple[CategoryVocabulary, ...]] = (
    CategoryVocabulary(
        category=Category.TOUCH_TYPING,
        tag="touch-typing",
        topics=(
            Topic(
                "Home Row Mastery",
                "correct finger placement on the home row and returning to it without looking",
                ("home-row", "finger-placement"),
            ),
            Topic(
                "Top Row Reach",
                "the reach from the home row to every top-row letter with the right finger",
                ("top-row", "finger-reach"),
            ),
            Topic(
                "Bottom Row Control",
                "the awkward bottom-row keys from Z to M along with the comma and full stop",
                ("bottom-row", "finger-reach"),
            ),
            Topic(
                "Number Row and Symbols",
                "digits and shifted symbols on the number row, typed without looking down",
                ("number-row", "symbols"),
            ),
            Topic(
                "Shift, Caps and Punctuation",
                "both Shift keys, capital letters and everyday punctuation",
                ("shift-key", "punctuation"),
            ),
            Topic(
                "Eyes on the Screen",
                "whole sentences typed with your eyes on the screen instead of the keys",
                ("blind-typing", "no-look"),
            ),
            Topic(
                "Ergonomics and Posture",
                "a healthy posture, relaxed wrists and a break routine that prevents strain",
                ("ergonomics", "posture"),
            ),
            Topic(
                "Numeric Keypad Entry",
                "ten-key entry on the numeric keypad for fast figure work",
                ("numeric-keypad", "ten-key"),
            ),
            Topic(
                "Two-Hand Rhythm",
                "an even typing rhythm that alternates smoothly between both hands",
                ("rhythm", "alternating-hands"),
            ),
            Topic(
                "Dvorak Layout",
                "the Dvorak keyboard layout and a painless switch away from QWERTY",
                ("dvorak", "keyboard-layout"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "Touch Typing Fundamentals: {topic}",
                "{topic} for Absolute Beginners",
                "{topic}: A Gentle Start",
            ),
            Difficulty.INTERMEDIATE: (
                "Touch Typing Practice: {topic}",
                "{topic}: Guided Drills",
                "{topic} Workout",
            ),
            Difficulty.ADVANCED: (
                "{topic} Masterclass",
                "Advanced Touch Typing: {topic}",
                "{topic}: Expert Drills",
            ),
        },
        openers=(
            "Learn {skill}.",
            "This course covers {skill}.",
            "Master {skill} through short guided exercises.",
            "Practise {skill} until it becomes automatic.",
        ),
        closers=(
            "An on-screen keyboard highlights the correct finger for every key.",
            "Finish with a certificate showing your final speed and accuracy.",
            "Works with any standard QWERTY keyboard.",
        ),
        instruction_languages=(*_STANDARD_LANGUAGES, "es", "fr", "de"),
    ),
    CategoryVocabulary(
        category=Category.SPEED_BUILDING,
        tag="speed-building",
        topics=(
            Topic(
                "From 20 to 40 WPM",
                "the jump from 20 to 40 words per minute through short daily sprints",
                ("wpm-40", "speed-drills"),
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "From 40 to 80 WPM",
                "the climb from 40 to 80 words per minute without losing accuracy",
                ("wpm-80", "speed-drills"),
                difficulties=(_INTERMEDIATE, _ADVANCED),
            ),
            Topic(
                "Breaking 100 WPM",
                "the techniques fast typists use to sustain more than 100 words per minute",
                ("wpm-100", "speed-drills"),
                difficulties=(_ADVANCED,),
            ),
            Topic(
                "Common Word Sprints",
                "the most frequent English words until each one flows as a single motion",
                ("common-words", "sprints"),
            ),
            Topic(
                "Bigram and Trigram Drills",
                "frequent letter groups such as th, ing and tion",
                ("bigrams", "trigrams"),
            ),
            Topic(
                "Timed Typing Tests",
                "steady pacing in one-minute and five-minute timed tests",
                ("timed-tests", "wpm-60"),
            ),
            Topic(
                "Burst Speed Training",
                "short bursts of maximum speed followed by controlled recovery",
                ("burst-speed", "sprints"),
            ),
            Topic(
                "Typing Stamina with Long Passages",
                "a steady pace through long passages from books and speeches",
                ("stamina", "passages"),
            ),
            Topic(
                "Editing Shortcuts for Speed",
                "the editing shortcuts that save seconds on every correction",
                ("shortcuts", "productivity"),
            ),
            Topic(
                "Speed Without Errors",
                "accuracy above 97 percent while your speed keeps rising",
                ("accuracy-97", "speed-drills"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "Speed Builder: {topic}",
                "{topic}: Speed Basics",
                "First Steps in Speed: {topic}",
            ),
            Difficulty.INTERMEDIATE: (
                "Speed Builder: {topic}",
                "{topic} Challenge",
                "Speed Builder Plus: {topic}",
            ),
            Difficulty.ADVANCED: (
                "Speed Lab: {topic}",
                "{topic}: Elite Speed Training",
                "{topic} Pro Series",
            ),
        },
        openers=(
            "Each lesson targets {skill}.",
            "This programme focuses on {skill}.",
            "Drill {skill} with measured, repeatable exercises.",
            "Work through {skill} with graded speed targets.",
        ),
        closers=(
            "A live WPM graph tracks every session.",
            "Each week ends with a benchmark test against your previous best.",
            "Drills are generated from real-world text, not random letters.",
        ),
        instruction_languages=_STANDARD_LANGUAGES,
    ),
    CategoryVocabulary(
        category=Category.ACCURACY,
        tag="accuracy",
        topics=(
            Topic(
                "Error-Free Typing",
                "backspace-free typing that slows down at difficult letter pairs",
                ("error-free", "no-backspace"),
            ),
            Topic(
                "Commonly Confused Keys",
                "keys that are often swapped, such as b and n or i and o",
                ("confused-keys", "error-free"),
            ),
            Topic(
                "Punctuation Precision",
                "commas, quotes, apostrophes and brackets placed exactly where they belong",
                ("punctuation", "precision"),
            ),
            Topic(
                "Numbers and Dates Accuracy",
                "accurate entry of numbers, dates and amounts with no transposed digits",
                ("numbers", "data-accuracy"),
            ),
            Topic(
                "Proofreading While Typing",
                "the habit of fixing mistakes while you type rather than afterwards",
                ("proofreading", "self-correction"),
            ),
            Topic(
                "Capital Letters and Proper Names",
                "capitalisation rules for proper nouns, acronyms and headings",
                ("capitalisation", "proper-nouns"),
            ),
            Topic(
                "Accuracy Under Time Pressure",
                "accuracy above 98 percent even in strict timed tests",
                ("accuracy-98", "timed-tests"),
            ),
            Topic(
                "Copy Typing from Printed Text",
                "exact copy typing from printed and handwritten material",
                ("copy-typing", "precision"),
            ),
            Topic(
                "Muscle Memory Reset",
                "a clean break from bad habits such as pressing a key with the wrong finger",
                ("muscle-memory", "bad-habits"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "Accuracy First: {topic}",
                "{topic} Basics",
                "Accuracy Foundations: {topic}",
            ),
            Difficulty.INTERMEDIATE: (
                "{topic}: Precision Practice",
                "Accuracy Clinic: {topic}",
                "{topic} in Practice",
            ),
            Difficulty.ADVANCED: (
                "{topic} for Professionals",
                "Zero-Error Challenge: {topic}",
                "{topic}: Advanced Precision",
            ),
        },
        openers=(
            "Learn {skill}.",
            "This course concentrates on {skill}.",
            "Sharpen your precision with {skill}.",
            "Get consistent with {skill}.",
        ),
        closers=(
            "Every mistake is logged so that later drills target it.",
            "Accuracy is scored the way employers and examiners score it.",
            "Includes a final assessment with a per-key error report.",
        ),
        instruction_languages=_STANDARD_LANGUAGES,
    ),
    CategoryVocabulary(
        category=Category.CODING,
        tag="coding",
        topics=(
            Topic(
                "Python",
                "Python syntax such as colons, indentation, underscores and f-strings",
                ("python", "indentation"),
            ),
            Topic(
                "JavaScript",
                "JavaScript braces, arrow functions, semicolons and template literals",
                ("javascript", "braces"),
            ),
            Topic(
                "TypeScript",
                "TypeScript type annotations, interfaces and generic parameters",
                ("typescript", "generics"),
            ),
            Topic(
                "Java",
                "Java class declarations, generics and long camel-case identifiers",
                ("java", "camel-case"),
            ),
            Topic(
                "C++",
                "C++ pointers, templates, scope operators and angle brackets",
                ("cpp", "templates"),
            ),
            Topic(
                "SQL",
                "SQL keywords, joins, aliases and quoted string literals",
                ("sql", "queries"),
            ),
            Topic(
                "HTML and CSS",
                "HTML tags, attributes and CSS selectors with their brackets and colons",
                ("html", "css"),
            ),
            Topic(
                "Go",
                "Go structs, error checks and the short variable declaration operator",
                ("golang", "structs"),
            ),
            Topic(
                "Rust",
                "Rust lifetimes, pattern matching, macros and the question-mark operator",
                ("rust", "pattern-matching"),
            ),
            Topic(
                "Bash and Terminal",
                "shell commands with pipes, flags, quotes and file paths",
                ("bash", "terminal"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "{topic} Code Typing for Beginners",
                "Typing {topic}: First Steps for Programmers",
                "{topic} Syntax Typing Basics",
            ),
            Difficulty.INTERMEDIATE: (
                "{topic} Code Typing for Developers",
                "{topic} Symbols and Syntax Drills",
                "Everyday {topic} Code Typing",
            ),
            Difficulty.ADVANCED: (
                "Fast {topic} Code Typing: Advanced Drills",
                "{topic} Code Typing at Professional Speed",
                "{topic} Refactoring Speed Drills",
            ),
        },
        openers=(
            "Type {skill} without breaking your flow.",
            "This course drills {skill}.",
            "Get fluent at typing {skill}.",
            "Build muscle memory for {skill}.",
        ),
        closers=(
            "Practice snippets are taken from real open-source projects.",
            "Symbol-heavy lines are repeated until they feel as easy as prose.",
            "Works with any editor; no autocomplete is used during drills.",
        ),
        instruction_languages=("en",) * 6 + ("hi", "ta", "te"),
    ),
    CategoryVocabulary(
        category=Category.LANGUAGES,
        tag="regional-typing",
        topics=(
            Topic(
                "Hindi Typing with Inscript Keyboard",
                "the Inscript layout for Devanagari, including matras and half letters",
                ("hindi", "inscript", "devanagari"),
                language="hi",
            ),
            Topic(
                "Hindi Typing with Remington Gail",
                "the Remington Gail layout and Krutidev font used in many government offices",
                ("hindi", "remington-gail", "krutidev"),
                language="hi",
            ),
            Topic(
                "Tamil Typing with Tamil99",
                "the Tamil99 layout, vowel signs and Tamil conjuncts",
                ("tamil", "tamil99"),
                language="ta",
            ),
            Topic(
                "Marathi Typing",
                "Marathi Devanagari letters and conjuncts on the Inscript keyboard",
                ("marathi", "inscript", "devanagari"),
                language="mr",
            ),
            Topic(
                "Bengali Typing with Avro Phonetic",
                "Bengali script through the Avro phonetic and Probhat layouts",
                ("bengali", "avro-phonetic"),
                language="bn",
            ),
            Topic(
                "Telugu Typing",
                "Telugu vowels, consonant clusters and gunintalu on the Inscript keyboard",
                ("telugu", "inscript"),
                language="te",
            ),
            Topic(
                "Kannada Typing with Nudi",
                "the Nudi layout for Kannada letters, ottaksharas and vowel signs",
                ("kannada", "nudi"),
                language="kn",
            ),
            Topic(
                "Gujarati Typing",
                "Gujarati letters, matras and conjuncts on the Inscript keyboard",
                ("gujarati", "inscript"),
                language="gu",
            ),
            Topic(
                "Punjabi Gurmukhi Typing",
                "Gurmukhi letters, tippi, addak and vowel signs",
                ("punjabi", "gurmukhi"),
                language="pa",
            ),
            Topic(
                "Malayalam Typing",
                "Malayalam chillu letters, conjuncts and vowel signs",
                ("malayalam", "inscript"),
                language="ml",
            ),
            Topic(
                "Spanish Typing with Accents",
                "the letter n with tilde, accented vowels and inverted punctuation",
                ("spanish", "accents"),
                language="es",
            ),
            Topic(
                "French Typing on AZERTY",
                "the AZERTY layout, accents, cedillas and French punctuation spacing",
                ("french", "azerty"),
                language="fr",
            ),
            Topic(
                "German Typing on QWERTZ",
                "the QWERTZ layout, umlauts and the sharp s",
                ("german", "qwertz", "umlauts"),
                language="de",
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "{topic}: Complete Beginner Course",
                "Learn {topic} from Scratch",
                "{topic}: Letters and Words",
            ),
            Difficulty.INTERMEDIATE: (
                "{topic}: Sentences and Paragraphs",
                "{topic} Practice Course",
                "{topic}: Everyday Writing",
            ),
            Difficulty.ADVANCED: (
                "{topic}: Speed and Accuracy Mastery",
                "Professional {topic}",
                "{topic}: Advanced Passages",
            ),
        },
        openers=(
            "Learn {skill}.",
            "This course teaches {skill}.",
            "Become confident with {skill}.",
            "Practise {skill} step by step.",
        ),
        closers=(
            "Unicode fonts are used throughout, so your text works in any modern app.",
            "Passages come from newspapers, letters and official notices.",
            "Keyboard stickers are not required; an on-screen layout guides you.",
        ),
    ),
    CategoryVocabulary(
        category=Category.EXAM_PREPARATION,
        tag="govt-exams",
        topics=(
            Topic(
                "SSC CGL Typing Test",
                "the passage style, time limit and error rules of the SSC CGL typing test",
                ("ssc-cgl", "mangal"),
                language="hi",
                qualifier="Hindi - Mangal",
            ),
            Topic(
                "SSC CGL Typing Test",
                "the 2000-keystroke data entry passage and error rules of the SSC CGL test",
                ("ssc-cgl", "data-entry"),
                language="en",
                qualifier="English",
            ),
            Topic(
                "SSC CHSL Typing Test",
                "the 35 WPM English typing requirement of the SSC CHSL skill test",
                ("ssc-chsl", "wpm-35"),
                language="en",
                qualifier="English",
            ),
            Topic(
                "SSC CHSL Typing Test",
                "the 30 WPM Hindi typing requirement with Krutidev and Mangal fonts",
                ("ssc-chsl", "krutidev"),
                language="hi",
                qualifier="Hindi - Krutidev",
            ),
            Topic(
                "RRB NTPC Typing Skill Test",
                "the railway typing skill test format, passage length and qualifying speed",
                ("rrb-ntpc", "railways"),
                language="en",
            ),
            Topic(
                "High Court Clerk Typing Test",
                "legal passages and the error marking used in high court clerk tests",
                ("high-court", "clerk"),
                language="en",
            ),
            Topic(
                "CPCT Typing Exam",
                "the CPCT English and Hindi typing sections and their scoring",
                ("cpct", "madhya-pradesh"),
                language="hi",
            ),
            Topic(
                "TNPSC Group 4 Typist Exam",
                "the Tamil and English typing sections of the TNPSC Group 4 exam",
                ("tnpsc", "group-4"),
                language="ta",
            ),
            Topic(
                "MPSC Clerk-Typist Exam",
                "the Marathi and English typing test used for MPSC clerk-typist posts",
                ("mpsc", "clerk-typist"),
                language="mr",
            ),
            Topic(
                "DSSSB LDC Typing Test",
                "the DSSSB lower division clerk typing test and its 35 WPM threshold",
                ("dsssb", "ldc"),
                language="en",
            ),
            Topic(
                "WBPSC Clerkship Typing Test",
                "the Bengali and English typing sections of the WBPSC clerkship exam",
                ("wbpsc", "clerkship"),
                language="bn",
            ),
            Topic(
                "Stenographer Skill Test Transcription",
                "the transcription stage of the stenographer skill test and its time limits",
                ("stenography", "transcription"),
                language="en",
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "{topic} Preparation",
                "{topic}: Foundation Course",
                "{topic} Crash Course",
            ),
            Difficulty.INTERMEDIATE: (
                "{topic}: Timed Practice Sets",
                "{topic} Practice Course",
                "{topic}: Previous Year Passages",
            ),
            Difficulty.ADVANCED: (
                "{topic}: Mock Test Series",
                "{topic}: Final Revision Mocks",
                "{topic}: Full-Length Mock Tests",
            ),
        },
        openers=(
            "Prepare for {skill}.",
            "This course covers {skill}.",
            "Get exam-ready with {skill}.",
            "Understand and practise {skill}.",
        ),
        closers=(
            "Includes full-length mock tests scored the way the examiners do.",
            "Passages follow the latest official exam pattern.",
            "Your results are compared with the qualifying cut-off after every test.",
        ),
    ),
    CategoryVocabulary(
        category=Category.KIDS,
        tag="kids",
        topics=(
            Topic(
                "Letters and Numbers",
                "every letter and number on the keyboard through short games",
                ("letters", "numbers"),
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "Home Row Heroes",
                "the home position of each finger, guided by friendly characters",
                ("home-row", "games"),
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "Animal Alphabet",
                "animal names that together cover the whole alphabet",
                ("alphabet", "animals"),
                difficulties=(_BEGINNER,),
            ),
            Topic(
                "Space Typing Mission",
                "short words and sentences in a space-themed typing game",
                ("games", "space"),
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "Spelling Bee Typing",
                "the spelling of common school words, practised while typing them",
                ("spelling", "school"),
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "Story Typing",
                "short stories, typed one sentence at a time",
                ("stories", "sentences"),
                difficulties=(_INTERMEDIATE, _ADVANCED),
            ),
            Topic(
                "Mouse and Keyboard Basics",
                "the first steps of holding the mouse, finding keys and typing your own name",
                ("mouse", "first-steps"),
                difficulties=(_BEGINNER,),
            ),
            Topic(
                "Hindi Varnamala Typing",
                "the Hindi varnamala, from vowels to consonants, on the keyboard",
                ("hindi", "varnamala"),
                language="hi",
                difficulties=(_BEGINNER, _INTERMEDIATE),
            ),
            Topic(
                "Typing Olympiad Practice",
                "the speed and accuracy rounds of school typing olympiads",
                ("olympiad", "competition"),
                difficulties=(_ADVANCED,),
            ),
            Topic(
                "Grades 3 to 5 Typing",
                "age-appropriate words, sentences and school topics",
                ("grade-3-5", "school"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "Kids Keyboard Adventure: {topic}",
                "{topic} for Little Typists",
                "My First Typing Course: {topic}",
            ),
            Difficulty.INTERMEDIATE: (
                "Junior Typist: {topic}",
                "{topic}: Kids Typing Club",
                "Kids Keyboard Adventure 2: {topic}",
            ),
            Difficulty.ADVANCED: (
                "{topic}: Young Champions Challenge",
                "Junior Typing Champions: {topic}",
            ),
        },
        openers=(
            "Children learn {skill}.",
            "A playful course that teaches {skill}.",
            "Young learners discover {skill}.",
            "Kids practise {skill} with stars and badges as rewards.",
        ),
        closers=(
            "Parents get a weekly progress report by email.",
            "Lessons are short enough for a young attention span.",
            "Colourful finger guides show which finger presses which key.",
        ),
        instruction_languages=("en",) * 5 + ("hi", "hi", "ta", "bn", "mr"),
    ),
    CategoryVocabulary(
        category=Category.BUSINESS,
        tag="business",
        topics=(
            Topic(
                "Professional Email Writing",
                "fast, correctly formatted business emails with standard greetings and sign-offs",
                ("email", "office"),
            ),
            Topic(
                "Data Entry Operator Training",
                "high-volume data entry into forms and spreadsheets",
                ("data-entry", "spreadsheets"),
            ),
            Topic(
                "Excel Keyboard Shortcuts",
                "spreadsheet navigation and editing without touching the mouse",
                ("excel", "shortcuts"),
            ),
            Topic(
                "Medical Transcription",
                "medical terminology and dictated clinical notes",
                ("medical-transcription", "terminology"),
            ),
            Topic(
                "Legal Document Typing",
                "legal formats, citations and long contractual clauses",
                ("legal", "documents"),
            ),
            Topic(
                "Customer Support Chat Typing",
                "quick, polite chat replies and reusable canned responses",
                ("customer-support", "chat"),
            ),
            Topic(
                "Tally Accounting Entry",
                "accounting vouchers and ledger entries in Tally using the numeric keypad",
                ("tally", "accounting", "numeric-keypad"),
            ),
            Topic(
                "Meeting Minutes and Note Taking",
                "live meeting notes captured at the speed people speak",
                ("note-taking", "minutes"),
            ),
            Topic(
                "Business Letter Formatting",
                "formal letter layouts, reference lines and enclosures",
                ("letters", "formatting"),
            ),
            Topic(
                "GST Invoice Typing",
                "GST invoices that carry GSTIN numbers, HSN codes and tax amounts",
                ("gst", "invoices"),
            ),
        ),
        title_patterns={
            Difficulty.BEGINNER: (
                "{topic} Essentials",
                "Office Basics: {topic}",
                "{topic} for New Employees",
            ),
            Difficulty.INTERMEDIATE: (
                "{topic} for Working Professionals",
                "Workplace Skills: {topic}",
                "{topic}: Real Office Tasks",
            ),
            Difficulty.ADVANCED: (
                "{topic}: Advanced Office Skills",
                "{topic} Certification Track",
                "Expert {topic}",
            ),
        },
        openers=(
            "Learn {skill}.",
            "This workplace course covers {skill}.",
            "Become efficient with {skill}.",
            "Save hours each week by mastering {skill}.",
        ),
        closers=(
            "Exercises use realistic office documents rather than random text.",
            "A completion certificate can be shared with employers.",
            "Suitable for job seekers and working staff alike.",
        ),
        instruction_languages=_STANDARD_LANGUAGES,
    ),
)

# Every (vocabulary, topic, difficulty) the vocabulary allows, in a fixed order.
_COURSE_SHAPES: Final[tuple[tuple[CategoryVocabulary, Topic, Difficulty], ...]] = tuple(
    (vocabulary, topic, difficulty)
    for vocabulary in _VOCABULARY
    for topic in vocabulary.topics
    for difficulty in topic.difficulties
)

_SLUG_REPLACEMENTS: Final = (("c++", "cpp"), ("c#", "csharp"), ("&", " and "))
_NON_SLUG_CHARACTERS: Final = re.compile(r"[^a-z0-9]+")


def demo_courses() -> list[CourseDraft]:
    """The demo catalogue: one course per topic and difficulty, identical on every call."""
    rng = random.Random(DEMO_COURSE_SEED)
    used_titles: set[str] = set()
    drafts: list[CourseDraft] = []
    for vocabulary, topic, difficulty in _COURSE_SHAPES:
        language = _pick_language(rng, vocabulary, topic)
        title = _unused_title(rng, vocabulary, topic, difficulty, language, used_titles)
        used_titles.add(title)
        slug = _slugify(title, MAX_SLUG_LENGTH)
        drafts.append(_draft(rng, vocabulary, topic, difficulty, language, title, slug))
    return drafts


def synthetic_courses(count: int, seed: int = 7) -> list[CourseDraft]:
    """``count`` courses from the demo vocabulary, numbered as batches to keep slugs unique."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    rng = random.Random(seed)
    drafts: list[CourseDraft] = []
    for batch in range(1, count + 1):
        vocabulary, topic, difficulty = rng.choice(_COURSE_SHAPES)
        language = _pick_language(rng, vocabulary, topic)
        pattern = rng.choice(vocabulary.title_patterns[difficulty])
        base_title = _title(pattern, topic, language)
        slug_suffix = f"-batch-{batch}"
        slug = _slugify(base_title, MAX_SLUG_LENGTH - len(slug_suffix)) + slug_suffix
        title = f"{base_title} - Batch {batch}"
        drafts.append(_draft(rng, vocabulary, topic, difficulty, language, title, slug))
    return drafts


def demo_subscriptions(
    course_ids: Sequence[int],
    validity_by_course: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    """Enrolments of ``DEMO_USERS`` in the given courses, enrolled within two years before ``now``.

    At least 20% of the enrolments have expired at ``now``, and ``SHOWCASE_USER`` has both
    an active and an expired one. Raises ValueError when the courses cannot provide that
    (fewer than two courses, or none whose validity is shorter than two years).
    """
    now_utc = _as_utc(now)
    courses = sorted(set(course_ids))
    validity = {course_id: _validity_days(validity_by_course, course_id) for course_id in courses}
    expirable = [course_id for course_id in courses if _can_expire(validity[course_id])]
    if len(courses) < 2 or not expirable:
        raise ValueError(
            "demo subscriptions need at least two courses, one of them valid for under two years"
        )
    rng = random.Random(DEMO_SUBSCRIPTION_SEED)
    enrolments = _showcase_enrolments(rng, courses, expirable, validity, now_utc)
    for user_id in DEMO_USERS:
        if user_id != SHOWCASE_USER:
            enrolments.extend(_random_enrolments(rng, user_id, courses, validity, now_utc))
    return _with_expired_share(rng, enrolments, validity, now_utc)


def _pick_language(rng: random.Random, vocabulary: CategoryVocabulary, topic: Topic) -> str:
    return topic.language or rng.choice(vocabulary.instruction_languages)


def _title(pattern: str, topic: Topic, language: str) -> str:
    title = pattern.format(topic=topic.name)
    if topic.qualifier is not None:
        return f"{title} ({topic.qualifier})"
    if topic.language is None and language != "en":
        return f"{title} ({LANGUAGE_NAMES[language]})"
    return title


def _unused_title(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
    used_titles: set[str],
) -> str:
    patterns = list(vocabulary.title_patterns[difficulty])
    rng.shuffle(patterns)
    for pattern in patterns:
        title = _title(pattern, topic, language)
        if title not in used_titles:
            return title
    raise ValueError(f"every title pattern for {topic.name!r} ({difficulty}) is already used")


def _draft(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
    title: str,
    slug: str,
) -> CourseDraft:
    return CourseDraft(
        slug=slug,
        title=title,
        description=_description(rng, vocabulary, topic, difficulty, language),
        category=vocabulary.category,
        difficulty=difficulty,
        language=language,
        tags=_tags(vocabulary, topic, language),
        price_paise=_price_paise(rng, difficulty),
        currency=CURRENCY,
        validity_days=rng.choice(_VALIDITY_DAYS_CHOICES),
        is_active=rng.random() >= _INACTIVE_SHARE,
    )


def _description(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
) -> str:
    sentences = [rng.choice(vocabulary.openers).format(skill=topic.skill)]
    if rng.random() < 0.75:
        sentences.append(rng.choice(_LEVEL_SENTENCES[difficulty]))
    if language != "en" and topic.language is None:
        note = rng.choice(_LANGUAGE_NOTES)
        sentences.append(note.format(language=LANGUAGE_NAMES[language]))
    elif rng.random() < 0.6:
        sentences.append(rng.choice(vocabulary.closers))
    return " ".join(sentences)


def _tags(vocabulary: CategoryVocabulary, topic: Topic, language: str) -> tuple[str, ...]:
    tags = [vocabulary.tag, *topic.tags]
    if language != "en":
        tags.append(LANGUAGE_NAMES[language].lower())
    return tuple(dict.fromkeys(tags))[:5]


def _price_paise(rng: random.Random, difficulty: Difficulty) -> int:
    if rng.random() < _FREE_SHARE:
        return 0
    return rng.choice(_PAID_PRICES_PAISE[difficulty])


def _slugify(text: str, max_length: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    lowered = ascii_text.lower()
    for old, new in _SLUG_REPLACEMENTS:
        lowered = lowered.replace(old, new)
    slug = _NON_SLUG_CHARACTERS.sub("-", lowered).strip("-")
    if len(slug) <= max_length:
        return slug
    shortened = slug[:max_length]
    # Cut at the last word boundary unless the cut already falls on one.
    if slug[max_length] != "-" and "-" in shortened:
        shortened = shortened.rsplit("-", 1)[0]
    return shortened.strip("-")


def _as_utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _validity_days(validity_by_course: Mapping[int, int | None], course_id: int) -> int | None:
    days = validity_by_course[course_id]
    if days is not None and days <= 0:
        raise ValueError(f"course {course_id} has non-positive validity_days {days}")
    return days


def _can_expire(validity_days: int | None) -> bool:
    """Whether an enrolment inside the two-year window can have run out by now."""
    return validity_days is not None and timedelta(days=validity_days) < _ENROLMENT_WINDOW


def _window_minutes() -> int:
    return _ENROLMENT_WINDOW // timedelta(minutes=1)


def _enrolment(
    user_id: int, course_id: int, validity_days: int | None, minutes_ago: int, now: datetime
) -> DemoEnrolment:
    enrolled_at = now - timedelta(minutes=minutes_ago)
    expires_at = None if validity_days is None else enrolled_at + timedelta(days=validity_days)
    return DemoEnrolment(user_id, course_id, enrolled_at, expires_at)


def _enrol_any_time(
    rng: random.Random, user_id: int, course_id: int, validity_days: int | None, now: datetime
) -> DemoEnrolment:
    minutes_ago = rng.randint(0, _window_minutes())
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _enrol_active(
    rng: random.Random, user_id: int, course_id: int, validity_days: int | None, now: datetime
) -> DemoEnrolment:
    latest_minutes_ago = _window_minutes()
    if validity_days is not None:
        # One minute short of the validity, so expires_at stays strictly after now.
        latest_minutes_ago = min(latest_minutes_ago, validity_days * 24 * 60 - 1)
    minutes_ago = rng.randint(0, latest_minutes_ago)
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _enrol_expired(
    rng: random.Random, user_id: int, course_id: int, validity_days: int, now: datetime
) -> DemoEnrolment:
    # At least one minute longer ago than the validity, so expires_at is before now.
    minutes_ago = rng.randint(validity_days * 24 * 60 + 1, _window_minutes())
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _showcase_enrolments(
    rng: random.Random,
    courses: list[int],
    expirable: list[int],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    expired_course = rng.choice(expirable)
    others = [course_id for course_id in courses if course_id != expired_course]
    active_course = rng.choice(others)
    expired_days = validity[expired_course]
    assert expired_days is not None  # guaranteed by choosing from expirable
    enrolments = [
        _enrol_expired(rng, SHOWCASE_USER, expired_course, expired_days, now),
        _enrol_active(rng, SHOWCASE_USER, active_course, validity[active_course], now),
    ]
    remaining = [course_id for course_id in others if course_id != active_course]
    extra_count = min(rng.randint(0, _MAX_COURSES_PER_USER - 2), len(remaining))
    for course_id in rng.sample(remaining, extra_count):
        enrolments.append(_enrol_any_time(rng, SHOWCASE_USER, course_id, validity[course_id], now))
    return enrolments


def _random_enrolments(
    rng: random.Random,
    user_id: int,
    courses: list[int],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    course_count = min(rng.randint(1, _MAX_COURSES_PER_USER), len(courses))
    return [
        _enrol_any_time(rng, user_id, course_id, validity[course_id], now)
        for course_id in rng.sample(courses, course_count)
    ]


def _with_expired_share(
    rng: random.Random,
    enrolments: list[DemoEnrolment],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    """Backdate randomly chosen active enrolments until enough of them have expired."""
    expired_count = sum(enrolment.is_expired_at(now) for enrolment in enrolments)
    required = -(-len(enrolments) * _MIN_EXPIRED_PERCENT // 100)  # ceiling division
    candidates = [
        index
        for index, enrolment in enumerate(enrolments)
        if enrolment.user_id != SHOWCASE_USER
        and not enrolment.is_expired_at(now)
        and _can_expire(validity[enrolment.course_id])
    ]
    missing = max(0, required - expired_count)
    if missing > len(candidates):
        raise ValueError("too few time-limited courses to make 20% of demo enrolments expired")
    result = list(enrolments)
    for index in rng.sample(candidates, missing):
        enrolment = result[index]
        days = validity[enrolment.course_id]
        assert days is not None  # candidates only hold time-limited courses
        result[index] = _enrol_expired(rng, enrolment.user_id, enrolment.course_id, days, now)
    return result
