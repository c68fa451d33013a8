"""Reference lists per business unit (index 0 FR, 1 PL, 2 GB): names, places, e-mail domains.

Lists are ordered roughly by frequency; the generator draws with Zipf-like weights so common
names repeat (homonyms are part of the identity-resolution problem).
"""

from __future__ import annotations

# fmt: off

FIRST_NAMES_MALE = (
    (
        "Jean", "Pierre", "Nicolas", "Philippe", "Michel", "Laurent", "Jérôme", "François", "Stéphane",
        "Frédéric", "Sébastien", "Julien", "Thomas", "Olivier", "David", "Antoine", "Benoît", "Hervé",
        "Gérard", "Thierry", "Jérémy", "Cédric", "Loïc", "Rémi", "Théo", "Mathéo", "Raphaël", "Noé",
        "Aurélien", "Grégoire", "Hugo", "Lucas", "Mathieu", "Éric", "Clément", "Guillaume", "Maxime",
    ),
    (
        "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Łukasz", "Michał", "Marcin", "Jakub",
        "Grzegorz", "Mateusz", "Wojciech", "Kamil", "Adam", "Maciej", "Rafał", "Przemysław", "Bartłomiej",
        "Zbigniew", "Jerzy", "Stanisław", "Sławomir", "Mirosław", "Dawid", "Jarosław", "Szymon", "Artur",
    ),
    (
        "James", "David", "John", "Paul", "Mark", "Andrew", "Richard", "Michael", "Christopher", "Daniel",
        "Oliver", "George", "Harry", "Jack", "Thomas", "William", "Stephen", "Matthew", "Gareth", "Rhys",
        "Callum", "Ewan", "Liam", "Connor", "Oscar", "Henry", "Alfie", "Joshua", "Samuel", "Nathan",
    ),
)

FIRST_NAMES_FEMALE = (
    (
        "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sophie", "Sandrine", "Céline", "Hélène",
        "Julie", "Camille", "Aurélie", "Émilie", "Valérie", "Christine", "Bérénice", "Chloé", "Léa", "Zoé",
        "Anaïs", "Cécile", "Élodie", "Mélanie", "Gaëlle", "Noémie", "Clémence", "Agnès", "Thérèse", "Manon",
        "Inès", "Margaux", "Laëtitia", "Léonie", "Françoise", "Geneviève", "Pauline",
    ),
    (
        "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Ewa", "Joanna", "Magdalena", "Monika", "Barbara",
        "Aleksandra", "Zofia", "Alicja", "Elżbieta", "Jadwiga", "Krystyna", "Grażyna", "Bożena", "Dorota",
        "Beata", "Natalia", "Wiktoria", "Łucja", "Żaneta", "Jolanta", "Urszula", "Justyna",
    ),
    (
        "Sarah", "Emma", "Claire", "Rachel", "Laura", "Rebecca", "Hannah", "Charlotte", "Sophie", "Emily",
        "Olivia", "Amelia", "Jessica", "Lucy", "Katie", "Gemma", "Victoria", "Grace", "Isla", "Ella",
        "Poppy", "Megan", "Fiona", "Siobhan", "Niamh", "Eleanor", "Zoë", "Lily", "Chloe", "Helen",
    ),
)

# Polish surnames ending in -ski/-cki take -ska/-cka for women (people.py).
LAST_NAMES = (
    (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
        "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet",
        "François", "Martinez", "Gauthier", "Chevalier", "Rousseau", "Faure", "Blanc", "Guérin", "Boyer",
        "Garnier", "Lemaître", "Béranger", "Hébert", "Pélissier", "Ménard", "Brémond", "Séguin", "Lécuyer",
        "Fèvre", "Dupré", "Lacroix", "Bénard", "Clément", "Noël", "Rivière", "Aubé",
    ),
    (
        "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Wojciechowski",
        "Kwiatkowski", "Krawczyk", "Kaczmarek", "Piotrowski", "Grabowski", "Zając", "Pawłowski",
        "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Nowakowski", "Majewski", "Olszewski",
        "Stępień", "Malinowski", "Jaworski", "Adamczyk", "Dudek", "Nowicki", "Pawlak", "Górski",
        "Witkowski", "Walczak", "Sikora", "Baran", "Rutkowski", "Michalak", "Szewczyk", "Ostrowski", "Żak",
        "Jasiński", "Zawadzki", "Chmielewski", "Czarnecki", "Sawicki", "Sokołowski", "Kołodziej",
    ),
    (
        "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
        "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green",
        "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper",
        "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
        "Khan", "Scott", "Phillips", "Watson", "Parker", "Bennett", "Young", "Griffiths", "Mitchell",
        "Kelly", "O'Brien", "O'Connor", "McDonald", "MacLeod", "Singh", "Hussain", "Murphy", "Lloyd",
    ),
)

# (city, postcode seed): FR full 5-digit base, PL 2-digit prefix, GB outward code.
CITIES = (
    (
        ("Paris", "75001"), ("Lyon", "69001"), ("Marseille", "13001"), ("Toulouse", "31000"),
        ("Nice", "06000"), ("Nantes", "44000"), ("Strasbourg", "67000"), ("Montpellier", "34000"),
        ("Bordeaux", "33000"), ("Lille", "59000"), ("Rennes", "35000"), ("Reims", "51100"),
        ("Saint-Étienne", "42000"), ("Le Havre", "76600"), ("Toulon", "83000"), ("Grenoble", "38000"),
        ("Dijon", "21000"), ("Angers", "49000"), ("Nîmes", "30000"), ("Clermont-Ferrand", "63000"),
        ("Le Mans", "72000"), ("Aix-en-Provence", "13090"), ("Brest", "29200"), ("Tours", "37000"),
        ("Amiens", "80000"), ("Limoges", "87000"), ("Annecy", "74000"), ("Perpignan", "66000"),
        ("Metz", "57000"), ("Besançon", "25000"), ("Orléans", "45000"), ("Rouen", "76000"),
        ("Caen", "14000"), ("Nancy", "54000"), ("Avignon", "84000"), ("Poitiers", "86000"),
        ("Pau", "64000"), ("La Rochelle", "17000"), ("Ajaccio", "20000"), ("Bourg-en-Bresse", "01000"),
        ("Chambéry", "73000"), ("Valence", "26000"), ("Évreux", "27000"), ("Béziers", "34500"),
    ),
    (
        ("Warszawa", "02"), ("Kraków", "30"), ("Łódź", "90"), ("Wrocław", "50"), ("Poznań", "60"),
        ("Gdańsk", "80"), ("Szczecin", "70"), ("Bydgoszcz", "85"), ("Lublin", "20"), ("Białystok", "15"),
        ("Katowice", "40"), ("Gdynia", "81"), ("Częstochowa", "42"), ("Radom", "26"), ("Toruń", "87"),
        ("Kielce", "25"), ("Rzeszów", "35"), ("Gliwice", "44"), ("Olsztyn", "10"), ("Bielsko-Biała", "43"),
        ("Zielona Góra", "65"), ("Opole", "45"), ("Płock", "09"), ("Elbląg", "82"), ("Tarnów", "33"),
        ("Koszalin", "75"), ("Kalisz", "62"), ("Legnica", "59"), ("Gorzów Wielkopolski", "66"),
    ),
    (
        ("London", "SW1A"), ("London", "SE1"), ("London", "N1"), ("London", "E14"), ("London", "NW3"),
        ("Manchester", "M14"), ("Birmingham", "B15"), ("Leeds", "LS6"), ("Glasgow", "G12"),
        ("Liverpool", "L17"), ("Bristol", "BS8"), ("Sheffield", "S10"), ("Edinburgh", "EH10"),
        ("Cardiff", "CF24"), ("Leicester", "LE2"), ("Nottingham", "NG7"), ("Newcastle upon Tyne", "NE6"),
        ("Southampton", "SO15"), ("Brighton", "BN2"), ("Reading", "RG4"), ("Oxford", "OX4"),
        ("Cambridge", "CB4"), ("York", "YO10"), ("Norwich", "NR2"), ("Belfast", "BT9"),
        ("Aberdeen", "AB24"), ("Plymouth", "PL4"), ("Exeter", "EX4"), ("Bath", "BA2"),
        ("Milton Keynes", "MK10"), ("Coventry", "CV5"), ("Derby", "DE22"), ("Swansea", "SA2"),
    ),
)

STREET_NAMES = (
    (
        "rue de la République", "rue Victor Hugo", "rue des Lilas", "avenue Jean Jaurès",
        "avenue du Général de Gaulle", "rue Pasteur", "rue de la Gare", "rue des Écoles",
        "chemin du Moulin", "rue Émile Zola", "place de l'Église", "allée des Érables",
        "boulevard Gambetta", "rue Saint-Exupéry", "impasse des Châtaigniers", "rue de la Fontaine",
        "rue du Château", "avenue Jules Ferry", "allée des Peupliers", "rue Molière", "boulevard Voltaire",
        "rue des Prés",
    ),
    (
        "ul. Kwiatowa", "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna",
        "ul. Ogrodowa", "ul. Lipowa", "ul. Brzozowa", "ul. Łąkowa", "ul. Kościelna", "ul. Sosnowa",
        "ul. Mickiewicza", "ul. Słowackiego", "ul. Kopernika", "al. Piłsudskiego", "ul. Jana Pawła II",
        "ul. Żeromskiego", "ul. Wiejska", "ul. Długa", "ul. Dębowa", "al. Niepodległości",
    ),
    (
        "High Street", "Station Road", "Church Lane", "Park Avenue", "Victoria Road", "Green Lane",
        "Manor Close", "Kings Road", "Queens Drive", "Mill Lane", "Chestnut Grove", "Oak Way",
        "Meadow View", "Windsor Crescent", "York Road", "Springfield Gardens", "Grange Drive",
        "Albert Street", "North Street", "The Crescent", "Orchard Close", "Church Street",
    ),
)

# (domain, weight) of personal addresses.
EMAIL_DOMAINS = (
    (
        ("gmail.com", 35), ("orange.fr", 18), ("free.fr", 10), ("hotmail.fr", 10), ("yahoo.fr", 7),
        ("sfr.fr", 6), ("laposte.net", 6), ("outlook.fr", 5), ("wanadoo.fr", 3),
    ),
    (
        ("gmail.com", 35), ("wp.pl", 18), ("onet.pl", 15), ("o2.pl", 10), ("interia.pl", 10), ("op.pl", 7),
    ),
    (
        ("gmail.com", 35), ("hotmail.co.uk", 15), ("btinternet.com", 10), ("yahoo.co.uk", 12),
        ("outlook.com", 12), ("sky.com", 8), ("icloud.com", 8),
    ),
)

# Work addresses some people log in to the web shop with.
WORK_DOMAINS = (
    (
        "mairie-info.fr", "groupe-axel.fr", "cabinet-morel.fr", "ac-lyon.fr", "sncf.fr",
    ),
    (
        "firma.pl", "urzad.gov.pl", "pkobp.pl", "uczelnia.edu.pl", "biuro-nowak.pl",
    ),
    (
        "nhs.net", "council.gov.uk", "acme-ltd.co.uk", "ac.uk", "barclays.com",
    ),
)

SALUTATIONS_MALE = (("M.", "Mr", "Monsieur"), ("Pan",), ("Mr",))

SALUTATIONS_FEMALE = (("Mme", "Mrs", "Madame", "Mlle"), ("Pani",), ("Mrs", "Ms", "Miss"))

# Letters the accent-dropping noise replaces (Polish ł/Ł included: it does not decompose).
ACCENT_MAP = {
    "é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "ä": "a", "î": "i", "ï": "i", "ô": "o",
    "ö": "o", "ù": "u", "û": "u", "ü": "u", "ç": "c", "ÿ": "y", "œ": "oe", "É": "E", "È": "E", "Ê": "E",
    "À": "A", "Â": "A", "Î": "I", "Ô": "O", "Ç": "C", "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n",
    "ó": "o", "ś": "s", "ź": "z", "ż": "z", "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O",
    "Ś": "S", "Ź": "Z", "Ż": "Z",
}

# fmt: on

# fmt: off
# Browsers of the web shop's visitors (web.py picks one per device), and the crawlers among them.
USER_AGENTS_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
)
USER_AGENTS_MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; 2201117TY) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
)
USER_AGENTS_TABLET = (
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
)
USER_AGENTS_BOT = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "python-requests/2.32.3",
    "Scrapy/2.11.2 (+https://scrapy.org)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36",
    "curl/8.5.0",
)
# fmt: on
