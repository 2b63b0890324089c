"""Word lists for the synthetic generator: names, nicknames, e-mail domains, postcodes, user agents.

Data only. Name lists are ordered from most to least common: the generator draws them with Zipf-like
weights, so the first entries collide often (as real names do), and adds the long tails of
name_tails.py for everyone else. Everything here is public, generic knowledge.
"""

from __future__ import annotations

# fmt: off
# Countries and how often people come from each. Culture decides names; country decides phone,
# postcode, e-mail providers.
COUNTRIES: tuple[str, ...] = ("GB", "US", "DE", "FR", "ES", "IN", "BR", "IT")
COUNTRY_WEIGHTS: tuple[float, ...] = (0.27, 0.24, 0.10, 0.08, 0.07, 0.09, 0.08, 0.07)
CULTURES: tuple[str, ...] = ("en", "en", "de", "fr", "es", "in", "pt", "it")  # by country index
CULTURE_NAMES: tuple[str, ...] = ("en", "de", "fr", "es", "in", "pt", "it")
TLDS: tuple[str, ...] = ("co.uk", "com", "de", "fr", "es", "in", "com.br", "it")

# (male, female) first names per culture.
FIRST_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (
            "James", "Michael", "John", "David", "Robert", "William", "Thomas", "Daniel", "Christopher",
            "Matthew", "Joseph", "Andrew", "Richard", "Mark", "Paul", "Steven", "Oliver", "Jack", "Harry",
            "George", "Samuel", "Benjamin", "Alexander", "Nicholas", "Anthony", "Kevin", "Brian", "Edward",
            "Liam", "Noah", "Ethan", "Connor", "Seán", "Patrick", "Aidan", "Ryan", "Tyler", "Jacob",
            "Nathaniel", "Jonathan",
        ),
        (
            "Sarah", "Emma", "Jennifer", "Jessica", "Elizabeth", "Katherine", "Emily", "Olivia", "Sophie",
            "Charlotte", "Rebecca", "Laura", "Hannah", "Amy", "Rachel", "Lucy", "Margaret", "Samantha",
            "Victoria", "Chloe", "Megan", "Grace", "Ava", "Isabella", "Abigail", "Madison", "Zoë", "Siobhán",
            "Niamh", "Aoife", "Anne-Marie", "Mary-Kate", "Patricia", "Linda", "Susan", "Karen", "Nancy",
            "Heather", "Amber", "Brittany",
        ),
    ),
    "de": (
        (
            "Thomas", "Michael", "Andreas", "Stefan", "Markus", "Christian", "Alexander", "Jürgen", "Klaus",
            "Lukas", "Jonas", "Felix", "Maximilian", "Tobias", "Sebastian", "Jörg", "Uwe", "Günter",
            "Hans-Peter", "Karl-Heinz", "Dieter", "Wolfgang", "Matthias", "Florian", "Johannes", "Björn",
            "Niklas", "Moritz", "Leon", "Paul",
        ),
        (
            "Anna", "Julia", "Laura", "Katharina", "Sabine", "Petra", "Monika", "Ursula", "Jana", "Lea",
            "Sophie", "Lena", "Hannah", "Marie", "Johanna", "Jutta", "Brigitte", "Gisela", "Anja", "Claudia",
            "Susanne", "Birgit", "Franziska", "Anneliese", "Mia", "Emilia", "Charlotte", "Annegret", "Käthe",
            "Lotte",
        ),
    ),
    "fr": (
        (
            "Jean", "Pierre", "Michel", "Nicolas", "Julien", "Thomas", "Antoine", "François", "Louis", "Hugo",
            "Lucas", "Mathieu", "Sébastien", "Jérôme", "Stéphane", "Olivier", "Philippe", "Alain", "Jean-Luc",
            "Jean-Pierre", "Émile", "Gaël", "Loïc", "Théo", "Raphaël", "Noé", "Benoît", "Cédric", "Grégoire",
            "Arnaud",
        ),
        (
            "Marie", "Nathalie", "Isabelle", "Sophie", "Camille", "Julie", "Léa", "Chloé", "Manon", "Émilie",
            "Céline", "Hélène", "Amélie", "Zoé", "Inès", "Océane", "Anaïs", "Élodie", "Mélanie", "Françoise",
            "Brigitte", "Sandrine", "Aurélie", "Marie-Claire", "Anne-Sophie", "Gaëlle", "Maëlys", "Clémence",
            "Noémie", "Margaux",
        ),
    ),
    "es": (
        (
            "José", "Antonio", "Manuel", "Francisco", "Juan", "David", "Javier", "Daniel", "Carlos",
            "Alejandro", "Miguel", "Rafael", "Pablo", "Sergio", "Fernando", "Jorge", "Luis", "Alberto",
            "Álvaro", "Raúl", "Iván", "Andrés", "Rubén", "Adrián", "Óscar", "Jesús", "Ramón", "Joaquín",
            "Guillermo", "Íñigo",
        ),
        (
            "María", "Carmen", "Ana", "Isabel", "Laura", "Cristina", "Marta", "Lucía", "Elena", "Paula",
            "Sara", "Raquel", "Pilar", "Rosa", "Dolores", "Beatriz", "Alba", "Nuria", "Silvia", "Mónica",
            "Sofía", "Inés", "Begoña", "Ainhoa", "Verónica", "Ángela", "Teresa", "Concepción", "Rocío",
            "Maite",
        ),
    ),
    "in": (
        (
            "Rahul", "Amit", "Rajesh", "Suresh", "Arjun", "Vikram", "Aarav", "Rohan", "Sanjay", "Anil",
            "Mohammed", "Deepak", "Vijay", "Ravi", "Karan", "Aditya", "Manoj", "Nikhil", "Pranav",
            "Siddharth", "Harpreet", "Gurpreet", "Imran", "Abdul", "Venkatesh", "Srinivas", "Krishna",
            "Ashok", "Varun", "Ishaan",
        ),
        (
            "Priya", "Anjali", "Pooja", "Neha", "Sunita", "Kavita", "Divya", "Deepika", "Aishwarya", "Sneha",
            "Lakshmi", "Meera", "Ananya", "Shreya", "Riya", "Fatima", "Ayesha", "Swati", "Nisha", "Rekha",
            "Jaspreet", "Simran", "Lata", "Geeta", "Pallavi", "Bhavna", "Radhika", "Isha", "Kiran", "Aditi",
        ),
    ),
    "pt": (
        (
            "João", "José", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
            "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Rodrigo", "Gustavo",
            "Thiago", "Matheus", "Leonardo", "Vinícius", "Caio", "Otávio", "Sérgio", "Fábio", "Márcio",
            "Júlio", "Luís",
        ),
        (
            "Maria", "Ana", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia", "Fernanda", "Patrícia",
            "Aline", "Camila", "Amanda", "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana", "Vanessa",
            "Mariana", "Gabriela", "Beatriz", "Larissa", "Conceição", "Débora", "Flávia", "Lívia", "Tânia",
            "Vitória", "Cecília", "Luíza",
        ),
    ),
    "it": (
        (
            "Giuseppe", "Giovanni", "Antonio", "Mario", "Luigi", "Francesco", "Alessandro", "Andrea", "Marco",
            "Matteo", "Lorenzo", "Luca", "Stefano", "Roberto", "Paolo", "Davide", "Simone", "Federico",
            "Riccardo", "Niccolò", "Pietro", "Salvatore", "Vincenzo", "Domenico", "Gianluca", "Emanuele",
            "Fabrizio", "Massimo", "Tommaso", "Gabriele",
        ),
        (
            "Maria", "Anna", "Giuseppina", "Rosa", "Angela", "Giovanna", "Teresa", "Lucia", "Francesca",
            "Chiara", "Sara", "Giulia", "Martina", "Alessia", "Federica", "Valentina", "Elena", "Silvia",
            "Paola", "Laura", "Sofia", "Aurora", "Beatrice", "Ginevra", "Carlotta", "Noemi", "Ilaria",
            "Benedetta", "Rosalba", "Maddalena",
        ),
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Johnson", "Wilson", "Evans", "Thomas",
        "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall",
        "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill", "Scott",
        "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison", "Morgan", "Patel",
        "O'Brien", "O'Connor", "O'Neill", "McDonald", "MacLeod", "McCarthy", "Fitzgerald", "Smith-Jones",
        "Bennett-Hughes", "Anderson", "Miller", "Davis", "Rodriguez", "Nguyen", "Kelly", "Murphy", "D'Souza",
        "Ashworth", "Featherstonehaugh", "Lloyd",
    ),
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
        "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause",
        "Meier", "Lehmann", "Köhler", "Weiß", "Groß", "Jäger", "Böhm", "von Bergen", "Müller-Lüdenscheidt",
        "Schmitz", "Vogel", "Fuchs",
    ),
    "fr": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
        "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Müller", "Henry",
        "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "D'Angelo", "Lemaître",
        "Chevalier", "Benoît", "Dupont-Aignan",
    ),
    "es": (
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
        "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
        "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano",
        "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín",
        "Sanz", "Núñez", "García López", "Fernández de Córdoba", "Iglesias", "Medina", "Garrido",
    ),
    "in": (
        "Sharma", "Kumar", "Singh", "Patel", "Gupta", "Khan", "Shah", "Verma", "Reddy", "Rao", "Das", "Iyer",
        "Nair", "Joshi", "Mehta", "Chopra", "Malhotra", "Banerjee", "Chatterjee", "Mukherjee", "Agarwal",
        "Jain", "Pillai", "Menon", "Bhat", "Desai", "Kapoor", "Saxena", "Srivastava", "Pandey", "Mishra",
        "Yadav", "Thakur", "Chauhan", "Ahmed", "Hussain", "Sinha", "Ghosh", "Krishnan", "Subramanian",
    ),
    "pt": (
        "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira",
        "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado",
        "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Araújo", "Conceição", "da Silva", "dos Santos",
        "de Souza", "Magalhães", "Simões",
    ),
    "it": (
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
        "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini",
        "Leone", "Longo", "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis",
        "D'Angelo", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Fabbri", "Bianco", "Marini",
        "Grasso", "Valentini", "Messina",
    ),
}

# Formal name -> the short form people also sign up with.
NICKNAMES: dict[str, str] = {
    "Robert": "Bob",
    "William": "Bill",
    "Katherine": "Kate",
    "Elizabeth": "Liz",
    "Michael": "Mike",
    "James": "Jim",
    "Jennifer": "Jen",
    "Thomas": "Tom",
    "Christopher": "Chris",
    "Margaret": "Maggie",
    "Alexander": "Alex",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Nicholas": "Nick",
    "Rebecca": "Becky",
    "Samantha": "Sam",
    "Samuel": "Sam",
    "Benjamin": "Ben",
    "Jonathan": "Jon",
    "Joseph": "Joe",
    "Andrew": "Andy",
    "Richard": "Rick",
    "Edward": "Ed",
    "Anthony": "Tony",
    "Patricia": "Pat",
    "Victoria": "Vicky",
    "Jessica": "Jess",
    "Abigail": "Abby",
    "Nathaniel": "Nate",
    "Steven": "Steve",
    "Susan": "Sue",
    "Johannes": "Hannes",
    "Katharina": "Kathi",
    "Franziska": "Franzi",
    "Maximilian": "Max",
    "Sebastian": "Basti",
    "Matthias": "Matze",
    "Wolfgang": "Wolf",
    "Francisco": "Paco",
    "José": "Pepe",
    "Guillermo": "Guille",
    "Alejandro": "Álex",
    "Dolores": "Lola",
    "Concepción": "Concha",
    "Ignacio": "Nacho",
    "Giuseppe": "Beppe",
    "Giovanni": "Gianni",
    "Francesco": "Checco",
    "Alessandro": "Sandro",
    "Salvatore": "Totò",
    "Vincenzo": "Enzo",
    "Giuseppina": "Pina",
    "Antônio": "Toninho",
    "Eduardo": "Dudu",
    "Francisca": "Chica",
    "Gabriela": "Gabi",
    "Rafael": "Rafa",
    "Fernanda": "Nanda",
    "Nathalie": "Nath",
    "Sébastien": "Seb",
    "Raphaël": "Raph",
    "Venkatesh": "Venky",
    "Siddharth": "Sid",
    "Aishwarya": "Aish",
}

# Very common full names: the collision trap (distinct people, same name).
COMMON_NAMES: tuple[tuple[str, str, str], ...] = (  # (first, last, culture)
    ("Michael", "Smith", "en"), ("John", "Smith", "en"), ("David", "Jones", "en"), ("James", "Brown", "en"),
    ("Sarah", "Williams", "en"), ("Jennifer", "Johnson", "en"), ("Maria", "Garcia", "es"),
    ("María", "García", "es"), ("José", "Rodríguez", "es"), ("Thomas", "Müller", "de"),
    ("Anna", "Schmidt", "de"), ("Marie", "Martin", "fr"), ("Jean", "Dubois", "fr"),
    ("Mohammed", "Khan", "in"), ("Priya", "Sharma", "in"), ("Rahul", "Kumar", "in"), ("Ana", "Silva", "pt"),
    ("João", "Santos", "pt"), ("Giuseppe", "Rossi", "it"), ("Maria", "Russo", "it"),
)

# Words for random e-mail handles ("luckyfox88").
HANDLE_WORDS: tuple[str, ...] = (
    "blue", "dark", "happy", "lucky", "silent", "wild", "cool", "crazy", "little", "big", "red", "night",
    "sunny", "golden", "iron", "swift", "tiger", "wolf", "panda", "dragon", "ninja", "gamer", "pixel",
    "rider", "storm", "shadow", "star", "moon", "coder", "chef", "fox", "eagle", "rocket", "ghost", "king",
    "queen", "viking", "surfer", "biker", "angel",
)
PLUS_TAGS: tuple[str, ...] = ("shop", "news", "alt", "2", "signup", "spam", "x", "promo", "new", "acct")

# E-mail providers: (domain, weight) shared by everyone, plus local ones per country.
GLOBAL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.40), ("outlook.com", 0.10), ("hotmail.com", 0.08), ("yahoo.com", 0.07),
    ("icloud.com", 0.05), ("proton.me", 0.015), ("live.com", 0.02), ("aol.com", 0.01),
)
LOCAL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "GB": (
        ("googlemail.com", 0.05), ("hotmail.co.uk", 0.06), ("yahoo.co.uk", 0.04), ("btinternet.com", 0.04),
        ("sky.com", 0.02),
    ),
    "US": (("comcast.net", 0.03), ("aol.com", 0.03), ("att.net", 0.02), ("yahoo.com", 0.05)),
    "DE": (("gmx.de", 0.10), ("web.de", 0.10), ("t-online.de", 0.05), ("googlemail.com", 0.06)),
    "FR": (("orange.fr", 0.08), ("free.fr", 0.06), ("laposte.net", 0.04), ("wanadoo.fr", 0.03)),
    "ES": (("yahoo.es", 0.05), ("hotmail.es", 0.08), ("telefonica.net", 0.03)),
    "IN": (("rediffmail.com", 0.06), ("yahoo.co.in", 0.06)),
    "BR": (("uol.com.br", 0.06), ("bol.com.br", 0.04), ("terra.com.br", 0.03)),
    "IT": (("libero.it", 0.08), ("virgilio.it", 0.04), ("alice.it", 0.03)),
}
GMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "googlemail.com")

# Postcodes. GB outward codes are real districts; inward codes use the letters Royal Mail allows.
GB_OUTWARD: tuple[str, ...] = (
    "SW1A", "EC1A", "W1A", "WC2N", "N1", "E1", "SE1", "NW1", "SW11", "E14", "M1", "M60", "M14", "B33", "B15",
    "LS1", "LS6", "L1", "L18", "G1", "G12", "EH1", "EH10", "CF10", "BS1", "BS8", "NE1", "CB2", "OX1", "OX4",
    "BN1", "S1", "S10", "NG1", "LE1", "RG1", "SO14", "PL1", "EX1", "YO1", "AB10", "DD1", "BT1", "BT9", "CV1",
    "DE1", "ST1", "WV1", "BD1", "HU1", "TN1", "CT1", "GU1", "KT1", "CR0", "BR1", "DA1", "RM1", "IG1", "EN1",
    "HA1", "UB1", "TW1", "SM1", "WD17", "AL1", "SG1", "LU1", "MK9", "NN1", "PE1", "IP1", "NR1", "CO1", "CM1",
    "SS1", "ME1", "M20", "B1", "E17",
)
GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
BR_AREA_CODES: tuple[int, ...] = (11, 21, 31, 41, 51, 61, 71, 81, 85, 19, 27, 48, 62, 91, 92)
US_AREA_CODES: tuple[int, ...] = (
    415, 212, 646, 718, 312, 773, 213, 310, 617, 206, 512, 305, 404, 702, 303, 214, 713, 602, 215, 503, 612,
    314, 412, 615, 704, 801, 916, 408, 650, 917,
)
DE_MOBILE_PREFIXES: tuple[int, ...] = (
    151, 152, 157, 159, 160, 162, 163, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179,
)

# User agents per device family; a family lists a few app/OS versions seen over time.
USER_AGENTS: dict[str, tuple[str, ...]] = {
    "ios": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1", "ShopApp/6.12.0 (iPhone15,2; iOS 17.5.1; Scale/3.00)",
    ),
    "android": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.6478.122 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.179 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.230 Mobile Safari/537.36", "ShopApp/6.11.2 (Android 14; SM-A546B; okhttp/4.12.0)",
    ),
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
    ),
    "emulator": (
        "Mozilla/5.0 (Linux; Android 11; sdk_gphone_x86) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/83.0.4103.106 Mobile Safari/537.36",
        "ShopApp/6.11.2 (Android 11; Android SDK built for x86; okhttp/4.12.0)",
        "Mozilla/5.0 (Linux; Android 9; Genymotion Custom Phone) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/91.0.4472.114 Mobile Safari/537.36",
    ),
}

# Device ids that many unrelated devices report: the Android 2.2 ANDROID_ID bug, zeroed advertising
# ids, emulators. Real systems see these shared by thousands of unrelated accounts.
DEFAULT_DEVICE_IDS: tuple[str, ...] = (
    "9774d56d682e549c", "00000000-0000-0000-0000-000000000000", "emulator-5554", "unknown",
    "0123456789abcdef", "generic_x86-sdk_gphone",
)
# Processor test cards: (bin, last4) used in QA and by curious users, shared by many accounts.
TEST_CARDS: tuple[tuple[str, str], ...] = (
    ("424242", "4242"), ("555555", "4444"), ("400000", "0077"), ("378282", "0005"), ("601111", "1117"),
)
# Card BIN prefixes per network; the rest of the 6-digit BIN is random.
# A few private-label store cards sit under major industry identifier 0, so BINs can start with 0.
BIN_PREFIXES: dict[str, tuple[str, ...]] = {
    "default": (
        "4", "4", "4", "4", "4", "4", "4", "4", "51", "52", "53", "54", "55", "51", "52", "53", "54", "55",
        "2221", "2720", "34", "37", "0",
    ),
    "IN": ("4", "4", "5", "6521", "6522", "508", "607"),
    "BR": ("4", "5", "636368", "504175", "6362", "606282"),
}
# fmt: on
