# Deutsche Vorlagen für das polytrain-Demokorpus. Geschrieben von den polytrain-Autoren, CC0.
# Lindenbach ist eine erfundene Stadt.

@slot person name g
Anna | f
Lukas | m
Marie | f
Jonas | m
Lena | f
Felix | m
Sophie | f
Paul | m
Laura | f
Max | m
Hannah | f
Tim | m
Julia | f
Jan | m
Clara | f
Erik | m
Mia | f
Tobias | m
Greta | f
Moritz | m
@alias friend person

@slot city
Wien
Prag
Lissabon
Kopenhagen
Krakau
Zürich
Hamburg
Dresden
Salzburg
Bremen
Graz
Leipzig

@slot fruit
Äpfel
Birnen
Kirschen
Pflaumen
Erdbeeren
Aprikosen
Trauben
Orangen
Pfirsiche

@slot veg
Karotten
Kartoffeln
Zwiebeln
Tomaten
Bohnen
Gurken
Pilze
Zucchini
Paprika

@slot dish
eine Gemüsesuppe
einen Linseneintopf
einen Kartoffelsalat
einen Apfelkuchen
ein Pilzrisotto
eine Kürbissuppe
einen Hühnereintopf
Nudeln mit Tomatensoße
ein großes Omelett
einen Zitronenkuchen

@slot subject
Mathe
Geschichte
Erdkunde
Biologie
Chemie
Musik
Kunst
Englisch
Physik
Deutsch

@slot job m f
Lehrer | Lehrerin
Krankenpfleger | Krankenpflegerin
Bäcker | Bäckerin
Ingenieur | Ingenieurin
Busfahrer | Busfahrerin
Bibliothekar | Bibliothekarin
Tischler | Tischlerin
Buchhalter | Buchhalterin
Gärtner | Gärtnerin
Arzt | Ärztin
Koch | Köchin
Briefträger | Briefträgerin

@slot day
Montag
Dienstag
Mittwoch
Donnerstag
Freitag
Samstag
Sonntag

@slot month
Januar
Februar
März
April
Mai
Juni
Juli
August
September
Oktober
November
Dezember

@slot pet
Minka
Bella
Pfeffer
Luna
Oskar
Mimi
Flocke

@topic weather
> Am {day}morgen war der Himmel über Lindenbach (grau|klar|voller schwerer Wolken|blassblau), als {person} aufwachte.
> {person} schaute vor dem Frühstück aus dem Fenster und (prüfte|betrachtete) den Himmel.
> Im {month} ist das Wetter in Lindenbach (schwer vorherzusagen|oft überraschend|meistens mild), sagt {person}.
Es regnete (fast den ganzen Vormittag|die ganze Nacht|etwa eine Stunde lang), und die Straßen waren (nass|voller Pfützen).
Ein kalter Wind (kam|wehte) von Norden (und schüttelte die Bäume|und ließ die Fenster klappern).
Laut Wetterbericht sollte die Temperatur in der Nacht unter null fallen.
Gegen Mittag kam die Sonne heraus, und die Leute (öffneten die Fenster|gingen nach draußen|setzten sich in den Park).
{person} nahm einen Regenschirm mit, weil die Wolken (dunkel|schwer|bedrohlich) aussahen.
Im Sommer sind die Tage lang, und die Luft ist sogar am Abend noch (warm|schwül).
Im Winter wird es früh dunkel, und (oft liegt Schnee auf den Hügeln|manchmal friert der See zu|die Straßen sind oft glatt).
Der (Frühling|Herbst) ist hier die angenehmste Jahreszeit, (weil es weder zu heiß noch zu kalt ist|weil das Licht so weich ist).
Im Radio hieß es, dass (vor Mitternacht|am Abend|später am Tag) ein Sturm kommen würde.
Der Donner (rollte|hallte) über das Tal, und (die Hunde versteckten sich unter dem Tisch|die Kinder zählten nach jedem Blitz die Sekunden).
Nach dem Gewitter roch die Luft (frisch|sauber), und die (Vögel|Kinder) kamen wieder heraus.
Die Bauern (beobachten das Wetter genau|fürchten späten Frost|hoffen auf einen milden Frühling), denn ihre Ernte hängt davon ab.
{person} sagte, der Nebel sei so dicht, dass (man das Ende der Straße nicht sehen könne|die Busse Verspätung hätten).
(An warmen Tagen|Wenn das Wetter schön ist) (geht {person} gern am Fluss spazieren|fährt {person} gern mit dem Rad zur Arbeit|isst {person} gern draußen zu Mittag).
Wetterstationen messen jede Stunde (die Temperatur|die Niederschlagsmenge|die Windgeschwindigkeit) und schicken die Daten an eine Zentrale.
Am Nachmittag hörte es auf zu (regnen|schneien), und hinter den Wolken erschien eine (schwache|helle) Sonne.
Am Abend war es wieder (kalt|windig|still), und {person} (heizte den Ofen an|kochte sich einen Tee|zog die Vorhänge zu).
{person} hoffte, dass (der nächste Tag|das Wochenende) (trockener|sonniger|wärmer) werden würde.
(Ältere Leute|Manche Nachbarn) sagen, dass die Winter früher (kälter|länger|schneereicher) waren.

@topic cooking
> {person} wollte letzten {day} für (die ganze Familie|ein paar Freunde|[seine|ihre] Großeltern) kochen.
> Am {day} verbrachte {person} (den ganzen Nachmittag|den Abend) in der Küche.
> {person} kocht (sehr gern|leidenschaftlich gern), besonders (am Wochenende|wenn Freunde zu Besuch kommen|im Winter).
[Er|Sie] wollte {dish} (kochen|zubereiten|machen).
Zuerst wusch [er|sie] die {veg} und schnitt sie in (kleine Stücke|dünne Scheiben|Würfel).
Dann erhitzte [er|sie] etwas Öl in einer (großen|schweren) Pfanne und gab (die Zwiebeln|etwas Knoblauch|ein wenig Salz) dazu.
Das Rezept stammt von [seiner|ihrer] (Großmutter|Tante|alten Nachbarin).
Während das Wasser kochte, (deckte [er|sie] den Tisch|spülte [er|sie] das Geschirr|hörte [er|sie] Radio).
[Er|Sie] probierte die Soße und gab (eine Prise Pfeffer|noch etwas Salz|einen Löffel Zucker|frische Kräuter) hinzu.
Bald roch die ganze Küche nach (Knoblauch und Kräutern|frischem Brot|warmer Butter).
Zum Nachtisch gab es {fruit} mit (Sahne|Joghurt|Honig).
Alle sagten, das Essen sei (köstlich|sehr gut|besser als im Restaurant).
Langsames Garen bei niedriger Temperatur (macht das Fleisch zart|bringt den Geschmack zur Geltung).
Reis braucht etwa doppelt so viel Wasser wie sein eigenes Volumen.
Brotteig muss mindestens eine Stunde ruhen, damit er aufgehen kann.
[Er|Sie] hätte fast vergessen, den Ofen auszuschalten, aber {friend} bemerkte es rechtzeitig.
Nach dem Essen half {friend} [ihm|ihr] (beim Abwaschen|beim Aufräumen der Küche).
Am nächsten Tag aß [er|sie] die Reste zum Mittagessen.
[Er|Sie] schrieb das Rezept auf, um es (nächste Woche|im Winter|für eine Feier) wieder zu kochen.
Ein gutes Messer und ein Holzbrett sind in einer kleinen Küche (das Wichtigste|alles, was man braucht).
Frisches Gemüse vom Markt schmeckt besser und ist im Sommer oft billiger.

@topic travel
> Im {month} fuhr {person} mit dem Zug nach {city}, um {friend} zu besuchen.
> {person} wollte schon seit (vielen Jahren|langer Zeit) einmal nach {city} reisen.
> Letzten {month} verbrachte {person} (eine Woche|zehn Tage|ein langes Wochenende) in {city}.
[Er|Sie] kaufte die Fahrkarte (zwei Wochen|einen Monat|ein paar Tage) vor der Reise (im Internet|am Bahnhof).
Der Zug fuhr (früh am Morgen|kurz nach Sonnenaufgang|um halb acht) ab, und die Fahrt dauerte (sechs|etwa fünf|fast acht) Stunden.
[Er|Sie] packte nur eine kleine Tasche mit (Kleidung|einem Buch|einer Kamera) und einer Karte.
Durch das Fenster sah [er|sie] (Felder, Flüsse und kleine Dörfer|verschneite Berge|lange graue Strände).
Am Bahnhof wartete {friend} mit (einem breiten Lächeln|einem kleinen Auto|einem warmen Mantel).
Sie (gingen|bummelten) durch die Altstadt und (besuchten ein Museum|stiegen zur Burg hinauf|saßen in einem Café am Fluss).
Das Hotel war klein, (aber sauber|und ruhig|und nah am Zentrum), und das Personal war (freundlich|hilfsbereit).
[Er|Sie] probierte die Küche der Region und mochte (die Suppe|den frischen Fisch|das süße Gebäck) (am liebsten|sehr).
Am Abend waren die Straßen voller (Musik|Menschen|Lichter), und die Luft war (warm|kühl).
[Er|Sie] vergaß [seinen|ihren] (Regenschirm|Schal) (in einem Café|im Bus), aber ein Fremder brachte ihn zurück.
Jeden Abend schrieb [er|sie] ein paar Zeilen in ein kleines Reisetagebuch.
[Er|Sie] kaufte (Postkarten|ein kleines Bild|einen Schal) als Geschenk für [seine|ihre] (Mutter|Schwester).
Am letzten Tag regnete es, deshalb verbrachten sie den Nachmittag (in einer Bibliothek|im Museum|in einem warmen Café).
Die Heimfahrt war (lang|langsam|anstrengend), aber [er|sie] (schlief fast die ganze Zeit|las einen ganzen Roman).
[Er|Sie] versprach, (nächstes Jahr|im Sommer|mit der ganzen Familie) wieder nach {city} zu kommen.
Mit dem Zug zu reisen ist langsamer als zu fliegen, aber (es ist entspannter|man sieht mehr von der Landschaft|man verbraucht weniger Energie).
Zu Hause zeigte [er|sie] [seiner|ihrer] Familie die Fotos.

@topic school
> Am {day} kam {person} (zehn Minuten zu früh in die Schule|kurz vor dem Klingeln in die Schule|zu spät in die Schule, weil der Bus Verspätung hatte).
> {person} ist (zwölf|dreizehn|vierzehn|fünfzehn) Jahre alt und geht in Lindenbach zur Schule.
> Für {person} begann der Schultag am {day} (wie immer|früher als sonst).
Die erste Stunde war {subject}, und (die Lehrerin|der Lehrer) (schrieb eine lange Liste an die Tafel|begann mit einem kurzen Test|stellte viele Fragen).
[Er|Sie] mag {subject}, weil die Lehrerin alles (klar|geduldig|mit lustigen Beispielen) erklärt.
In der Pause (spielte [er|sie] mit Freunden Fußball|aß [er|sie] einen Apfel|sprach [er|sie] mit {friend} über das Wochenende).
{friend} sitzt neben [ihm|ihr] und hilft [ihm|ihr] oft bei den Aufgaben.
Die Klasse arbeitete an einem Projekt über (die Geschichte der Stadt|den Fluss und seine Fische|gesunde Ernährung|die Planeten).
Nach dem Mittagessen (gingen die Kinder in die Bibliothek|hatten die Kinder Musikunterricht|arbeiteten die Kinder im Schulgarten).
Als Hausaufgabe sollten sie (ein Kapitel lesen|einen kurzen Aufsatz schreiben|zehn Aufgaben lösen).
[Er|Sie] fand die Übungen schwierig, aber [er|sie] (gab nicht auf|versuchte es immer wieder|bat um Hilfe).
Die Schule hat (etwa vierhundert Schüler|eine kleine Bibliothek|einen großen Sportplatz) und (zwanzig Lehrer|einen Garten mit Gemüse).
Die Lehrerin sagte, dass die Prüfung (nächste Woche|Ende des Monats|in zwei Wochen) stattfinden werde.
Am Nachmittag probten die Schüler ein Theaterstück für das Schulfest.
Als es klingelte, (packten alle ihre Taschen|rannten alle nach draußen|verabschiedeten sich alle).
[Er|Sie] ging mit {friend} nach Hause, und sie sprachen über (den Test|die Lehrerin|die Ferien).
Zu Hause (machte [er|sie] [seine|ihre] Hausaufgaben am Küchentisch|las [er|sie] vor dem Abendessen eine Stunde).
[Seine|Ihre] Eltern fragten, wie der Tag gewesen sei, und [er|sie] sagte, er sei (gut|lang|interessant) gewesen.
Eine neue Sprache zu lernen braucht Zeit, aber (regelmäßiges Üben|tägliches Lesen|das Sprechen mit anderen) hilft sehr.

@topic work
> {person} arbeitet als [{job.m}|{job.f}] in Lindenbach.
> {person} ist seit (fünf|zehn|fast zwanzig) Jahren [{job.m}|{job.f}].
> {person} hat (im letzten Frühling|im {month}|vor ein paar Monaten) eine neue Stelle als [{job.m}|{job.f}] gefunden.
Jeden Morgen steht [er|sie] um (sechs|halb sieben|sieben) auf und (fährt mit dem Bus|fährt mit dem Rad|geht zu Fuß) zur Arbeit.
[Sein|Ihr] Arbeitstag beginnt um (acht|neun) Uhr und endet (am späten Nachmittag|um fünf|um sechs).
[Er|Sie] teilt sich ein Büro mit (drei|zwei|vier) Kollegen, (die freundlich und hilfsbereit sind|die gern über Fußball reden).
(Am Morgen|Vor dem Mittagessen) (beantwortet [er|sie] meistens E-Mails|plant [er|sie] die Woche|trifft [er|sie] sich mit dem Team).
Die Arbeit ist (manchmal anstrengend|oft stressig|selten langweilig), aber [er|sie] (macht sie gern|mag [seine|ihre] Kollegen).
Mittags isst [er|sie] (ein Brot|einen Salat|eine Suppe) (in der Kantine|am Schreibtisch|im Park nebenan).
Letzte Woche bat [ihn|sie] [sein|ihr] Chef, (ein neues Projekt zu leiten|zwei neue Kollegen einzuarbeiten|einen Bericht zu schreiben).
Das Projekt muss (bis Ende des Monats|bis Freitag|vor den Sommerferien) fertig sein.
[Er|Sie] spart Geld (für ein neues Auto|für eine Reise|für ein eigenes Haus).
Manchmal muss [er|sie] länger arbeiten, (besonders im Dezember|wenn eine Frist näher rückt|wenn ein Kollege krank ist).
Freitags (geht das Team oft etwas trinken|hat das Team eine kurze Besprechung|isst das Team zusammen zu Mittag).
[Er|Sie] findet, dass ein gutes Team (zuhört|klar kommuniziert|die Arbeit fair verteilt).
Nächstes Jahr möchte [er|sie] (einen Kurs besuchen|etwas Neues lernen|weniger arbeiten).
Nach der Arbeit (geht [er|sie] ins Fitnessstudio|kocht [er|sie] das Abendessen|liest [er|sie] die Zeitung|ruft [er|sie] [seine|ihre] Eltern an).
Viele Menschen in der Stadt arbeiten (im Krankenhaus|in der Fabrik|in kleinen Läden|auf den Höfen in der Umgebung).

@topic market
> Letzten {day} ging {person} auf den Wochenmarkt am Marktplatz von Lindenbach.
> {person} ging am {day}morgen früh auf den Markt.
> Am {day} brauchte {person} (Lebensmittel für die Woche|Obst für einen Kuchen|Gemüse für eine Suppe).
Die Bauern kommen aus den Dörfern (rund um die Stadt|im Tal) und verkaufen (Gemüse, Eier und Käse|Obst und Blumen|Honig und Brot).
[Er|Sie] kaufte (ein Kilo|zwei Kilo|eine Tüte) {fruit} und ein paar {veg}.
Die {fruit} waren diese Woche (billig|besonders frisch|sehr süß).
Die Verkäuferin (lächelte|lachte) und schenkte [ihm|ihr] (eine Zitrone|ein Stück Käse|eine Kostprobe).
Am nächsten Stand verkaufte ein alter Mann (Käse|Honig|frischen Fisch|selbstgemachte Marmelade).
[Er|Sie] fragte, woher (der Käse|der Honig|das Brot) kam.
Der Markt war (voll|laut|ruhig), (weil Samstag war|wegen des Regens|so früh am Morgen).
[Er|Sie] bezahlte (bar|mit Karte) und packte alles in eine (Stofftasche|Papiertüte).
Die Preise sind dieses Jahr gestiegen, weil der Sommer (zu trocken|sehr heiß|zu nass) war.
(Am Brunnen|An der Ecke) verkaufte eine junge Frau (Blumen|Brötchen|Kaffee).
Am Blumenstand traf [er|sie] {friend}, und sie unterhielten sich eine Weile.
Auf dem Heimweg hielt [er|sie] an der Bäckerei, um (Brot|einen Kuchen|ein paar Brötchen) zu kaufen.
Wer auf dem Markt einkauft, unterstützt die Bauern aus der Region.
(Im Herbst|Im Sommer) liegen auf den Ständen (Kürbisse und Äpfel|Beeren und Tomaten).
Um ein Uhr bauten die Händler ihre Stände ab, und der Platz war wieder leer.

@topic family
> {person} wohnt mit [seinen|ihren] Eltern in einem (kleinen|alten|gelben) Haus am Fluss.
> {person} kommt aus einer (großen|kleinen) Familie.
> {person} erzählt (oft|gern) von [seiner|ihrer] Familie.
[Er|Sie] hat (zwei Brüder|eine jüngere Schwester|einen älteren Bruder und eine Schwester|keine Geschwister).
[Seine|Ihre] Großmutter wohnt (in der Nachbarstraße|in einem Dorf in der Nähe|am anderen Ende der Stadt) und kommt (jeden Sonntag|oft) zu Besuch.
Sonntags (isst die ganze Familie zusammen zu Mittag|macht die ganze Familie einen Spaziergang|besucht die ganze Familie die Großeltern).
[Seine|Ihre] Mutter arbeitet (im Krankenhaus|bei der Post|als Lehrerin), und [sein|ihr] Vater (ist Tischler|arbeitet bei einer Bank|hat einen kleinen Laden).
[Sein|Ihr] kleiner Bruder (lernt gerade Klavier|lernt gerade Fahrrad fahren|malt gern Tiere).
Am Abend (spielen sie Karten|sehen sie einen Film|erzählen sie von ihrem Tag) im Wohnzimmer.
[Seine|Ihre] Großeltern erzählen oft, wie die Stadt vor fünfzig Jahren aussah.
Letztes Jahr feierte die Familie (den achtzigsten Geburtstag der Großmutter|die Silberhochzeit der Eltern).
Hinter dem Haus gibt es einen (kleinen|großen) Garten, in dem sie (Tomaten|Blumen|Kräuter) anbauen.
Die Familie hat einen Hund namens {pet}.
Zu Hause hilft jeder mit: (die Kinder spülen das Geschirr|einer kocht, ein anderer putzt|der Vater kauft ein).
Als Kind (war [er|sie] oft krank|kletterte [er|sie] gern auf Bäume|wollte [er|sie] [Pilot|Pilotin] werden).
[Er|Sie] ruft [seine|ihre] Eltern (jede Woche|jeden Abend|sonntags) an.
Die Familie (ist|war schon immer) sehr wichtig für [ihn|sie].
(Nächsten Sommer|Dieses Jahr) will die Familie (ans Meer fahren|das Haus streichen|Verwandte im Ausland besuchen).

@topic science
> Die Lehrerin begann den Unterricht mit (ein paar|einigen) (einfachen|überraschenden) Tatsachen aus der Naturwissenschaft.
> {person} hat in einem Buch (einige|ein paar) interessante Dinge über die Natur gelesen.
Wasser kocht auf Meereshöhe bei hundert Grad Celsius.
Die Erde umkreist die Sonne einmal im Jahr.
Der Mond leuchtet nicht selbst, sondern wirft das Licht der Sonne zurück.
Pflanzen machen aus Sonnenlicht, Wasser und Kohlendioxid Zucker und Sauerstoff.
Schall breitet sich im Wasser schneller aus als in der Luft.
Das Licht der Sonne braucht etwa acht Minuten bis zur Erde.
In Ruhe schlägt das menschliche Herz etwa siebzigmal pro Minute.
Eis schwimmt, weil es eine geringere Dichte hat als flüssiges Wasser.
Bienen tragen Pollen von Blüte zu Blüte und helfen so den Pflanzen, Samen zu bilden.
Ein Jahr auf dem Mars dauert fast doppelt so lange wie ein Jahr auf der Erde.
Metalle leiten Wärme und Strom gut, Holz und Kunststoff dagegen nicht.
Der größte Teil der Erdoberfläche ist von Ozeanen bedeckt.
Erdbeben entstehen, wenn sich große Gesteinsplatten gegeneinander verschieben.
Salzwasser gefriert bei einer niedrigeren Temperatur als Süßwasser.
Wolken bilden sich, wenn warme, feuchte Luft aufsteigt und abkühlt.
Der größte Planet unseres Sonnensystems ist Jupiter.
Manche Vögel fliegen jedes Jahr Tausende Kilometer, um den Winter im Süden zu verbringen.
Bäume bilden jedes Jahr einen neuen Jahresring, deshalb kann man ihr Alter zählen.
Ein Regenbogen entsteht, wenn Sonnenlicht durch Regentropfen fällt.
Magnete ziehen Eisen an, aber kein Kupfer und kein Aluminium.
Das Gehirn verbraucht etwa ein Fünftel der Energie des Körpers.
Fische atmen mit Kiemen, die den Sauerstoff aus dem Wasser holen.
Die Sonne ist ein Stern, und zwar der Stern, der uns am nächsten ist.
Der menschliche Körper besteht zum größten Teil aus Wasser.
Im Herbst färben sich die Blätter gelb und rot, weil der Baum kein Chlorophyll mehr bildet.

@topic history
> Die Geschichte von Lindenbach ist (lang|älter, als viele denken|voller Überraschungen).
> Nur wenige Besucher wissen viel über die Geschichte von Lindenbach.
> Das Heimatmuseum erzählt die Geschichte von Lindenbach (von den Anfängen an|sehr ausführlich).
Lindenbach wurde vor (mehr als|etwa) (sechshundert|siebenhundert) Jahren von Bauern am Ufer des Flusses gegründet.
Die Stadt hat ihren Namen von den alten Linden, die am Bach standen.
Jahrhundertelang lebten die meisten Menschen von der Landwirtschaft und verkauften Wolle auf dem Markt.
Im fünfzehnten Jahrhundert baute die Stadt eine Steinbrücke, die heute noch steht.
Im Jahr 1742 zerstörte ein großer Brand (die Hälfte der Holzhäuser|einen großen Teil der Altstadt).
Nach dem Brand wurden die Häuser aus (Stein|Stein und Ziegeln) wieder aufgebaut.
1868 erreichte die Eisenbahn Lindenbach, und die Stadt (begann schnell zu wachsen|veränderte sich für immer).
In der Nähe des Bahnhofs wurde eine Textilfabrik eröffnet, die (Hunderte von Arbeitern beschäftigte|viele neue Familien in die Stadt brachte).
Im alten Rathaus befindet sich heute ein kleines Museum zur Stadtgeschichte.
Im Museum sieht man (alte Werkzeuge|Fotos der Mühle|ein Modell der Stadt um 1800|die erste Feuerwehrspritze).
Die Schule wurde 1901 gebaut (und wird noch heute genutzt|und 1965 erweitert).
Im langen Winter 1929 fror der Fluss zu, und die Leute liefen von einem Ufer zum anderen Schlittschuh.
1982 wurde die Fabrik geschlossen, und viele Menschen (mussten neue Arbeit suchen|zogen weg).
Heute hat Lindenbach etwa zwölftausend Einwohner.
Jeden Sommer feiert die Stadt ihre Geschichte mit (einem Fest|einem Umzug|Musik und Tanz) auf dem Marktplatz.
Ältere Bewohner erinnern sich noch an (die Fabrikglocke|die Dampfzüge|das alte Kino).
Im Stadtarchiv liegen (Briefe|Karten|Urkunden), die mehrere hundert Jahre alt sind.

@topic cat
> An einem (kalten|regnerischen|ruhigen) Abend bemerkte {person}, dass [seine|ihre] Katze {pet} nicht nach Hause gekommen war.
> {person} hat eine (graue|schwarze|rote) Katze namens {pet}, die gern herumstreift.
[Er|Sie] rief im Garten nach der Katze, aber nichts bewegte sich.
[Er|Sie] suchte unter den Autos, hinter dem Schuppen und in der alten Scheune.
{friend} von nebenan kam mit einer Taschenlampe, um zu helfen.
Sie fragten die Nachbarn, aber niemand hatte die Katze gesehen.
In dieser Nacht (konnte [er|sie] nicht schlafen|ließ [er|sie] das Küchenfenster offen|stellte [er|sie] eine Schale Milch vor die Tür).
Am Morgen machte [er|sie] kleine Plakate mit einem Foto von {pet} und hängte sie an die Bäume.
Es vergingen (zwei|drei) Tage, ohne dass es Neuigkeiten gab.
Dann klingelte das Telefon: Eine Frau hatte eine Katze (in ihrer Garage|auf ihrem Dach) miauen hören.
{pet} war (hungrig|schmutzig|müde), aber (gesund|unverletzt) und schnurrte laut.
[Er|Sie] trug die Katze nach Hause und gab ihr (ein großes Abendessen|warme Milch|ein Stück Fisch).
Seit diesem Tag (bleibt {pet} näher am Haus|schläft {pet} jede Nacht auf [seinem|ihrem] Bett).

@topic garden
> Im {month} legte {person} hinter dem Haus einen kleinen Gemüsegarten an.
> {person} wollte schon immer [sein|ihr] eigenes Gemüse anbauen.
Zuerst (grub [er|sie] die Erde um|entfernte [er|sie] die Steine|zog [er|sie] das Unkraut heraus).
[Er|Sie] pflanzte {veg} in ein Beet und Blumen in ein anderes.
Jeden Abend goss [er|sie] die Pflanzen mit einer (grünen|alten|schweren) Gießkanne.
Wochenlang schien nichts zu passieren, und [er|sie] (machte sich Sorgen|wurde ungeduldig).
Dann erschienen (eines Morgens|nach einem warmen Regen) kleine grüne Blätter.
Schnecken fraßen einige der jungen Pflanzen, deshalb (baute [er|sie] einen kleinen Zaun|bat [er|sie] {friend} um Rat).
Im (Juli|August) waren die {veg} (groß|reif), und [er|sie] erntete sie (voller Stolz|vorsichtig).
[Er|Sie] teilte die Ernte mit (den Nachbarn|{friend}|[seinen|ihren] Großeltern).
Nächstes Jahr will [er|sie] auch (Bohnen|Kürbisse|Erdbeeren) anbauen.
Ein Garten lehrt Geduld, denn Pflanzen wachsen langsam.

@topic birthday
> Letzten {day} hatte {person} Geburtstag und wurde (zehn|achtzehn|dreißig|vierzig).
> {person} war aufgeregt, weil [seine|ihre] Geburtstagsfeier (am {day}|am Wochenende) stattfand.
[Er|Sie] lud (zehn|ein paar|zwölf) Freunde und (einige Verwandte|[seine|ihre] Nachbarn) ein.
{friend} backte einen (Schokoladenkuchen|Zitronenkuchen|Erdbeerkuchen) (mit Kerzen|mit Sahne).
Die Gäste kamen (am Nachmittag|um sechs|einer nach dem anderen) mit Geschenken und Blumen.
Sie (sangen|spielten|tanzten) im Garten, bis es dunkel wurde.
Von [seinen|ihren] Eltern bekam [er|sie] (ein Buch|ein neues Fahrrad|einen warmen Schal|ein Bild).
Am Ende des Abends bedankte sich [er|sie] bei allen für ihr Kommen.
Es war (der schönste Geburtstag [seines|ihres] Lebens|ein Tag, den [er|sie] nie vergessen würde).

@topic health
> {person} will dieses Jahr (gesünder|aktiver) leben.
> Seit (Januar|letztem Herbst) (läuft|schwimmt) {person} (zweimal pro Woche|jeden Morgen).
[Er|Sie] läuft (am Fluss entlang|durch den Park|durch den Wald), (meistens vor der Arbeit|oft am Abend).
Am Anfang war es schwer, aber nach ein paar Wochen fühlte [er|sie] sich (stärker|viel besser|wacher).
Ärzte empfehlen (dreißig Minuten Bewegung am Tag|einen kurzen Spaziergang nach dem Essen).
[Er|Sie] isst jetzt mehr (Gemüse|Obst|Fisch) und weniger (Zucker|Salz|Fleisch).
Genug Wasser zu trinken ist wichtig, besonders (im Sommer|beim Sport).
Schlaf ist genauso wichtig wie Bewegung und gesundes Essen.
[Er|Sie] ist einem (Fußballverein|Schwimmverein|Laufverein) beigetreten und hat dort (neue Freunde|{friend}) kennengelernt.
Am {day} gab es im Park einen (kleinen Lauf|Wettkampf), und [er|sie] war (besser als erwartet|zufrieden mit sich).
Als [er|sie] erkältet war, blieb [er|sie] zu Hause und (trank heißen Tee|ruhte sich ein paar Tage aus).
[Er|Sie] sagt, dass Sport [ihm|ihr] hilft, (sich zu entspannen|den Kopf frei zu bekommen).

@topic hobby
> In [seiner|ihrer] Freizeit (malt|zeichnet|fotografiert|töpfert) {person} (gern|am liebsten).
> {person} hat ein Hobby, das viele überrascht: [er|sie] (baut Schiffsmodelle|sammelt alte Landkarten|hält Bienen).
[Er|Sie] hat damit (schon als Kind|vor ein paar Jahren|nach dem Umzug nach Lindenbach) angefangen.
[Er|Sie] verbringt (fast jeden Abend|jeden Sonntag|ein paar Stunden pro Woche) damit.
[Er|Sie] hat es (aus Büchern|mit Videos|mit der Hilfe von {friend}) gelernt.
Am Anfang war [er|sie] (ungeschickt|langsam), aber [er|sie] wurde (Schritt für Schritt|mit jeder Woche) besser.
Letztes Jahr zeigte [er|sie] [seine|ihre] Arbeiten bei einer kleinen Ausstellung in der Bibliothek.
Viele Besucher stellten Fragen, und manche (wollten etwas kaufen|fragten nach Unterricht).
[Er|Sie] glaubt, dass ein Hobby (das Leben bunter macht|hilft, die Sorgen zu vergessen).
Die Bibliothek von Lindenbach hat (einen Leseclub|einen Schachclub|einen Chor), der sich jeden {day} trifft.
Lesen vor dem Schlafengehen ist eine Gewohnheit, auf die [er|sie] nicht verzichten möchte.

@topic nature
> Letzten {day} machte {person} einen langen Spaziergang im (großen|stillen|alten) Wald bei Lindenbach.
> Am {day} wanderte {person} durch die Hügel oberhalb der Stadt.
Der Weg (führte am Fluss entlang|stieg langsam an|ging durch Wiesen voller Blumen).
[Er|Sie] sah (ein Reh|einen Fuchs|zwei Hasen|einen Reiher) (am Waldrand|in der Nähe des Wassers).
In den Bäumen sangen Vögel, und die Luft roch nach (Kiefern|nassem Laub|wilden Blumen).
Der Fluss ist so sauber, dass (Forellen|Otter|kleine Fische) darin leben.
Im Herbst färben sich die Blätter (rot und golden|gelb und braun), und unter den Bäumen wachsen Pilze.
Auf einem Hügel blieb [er|sie] stehen, um (sich auszuruhen|ein Brot zu essen|die Aussicht zu genießen).
Jedes Frühjahr pflanzen Freiwillige neue Bäume, um den Boden zu schützen.
Wälder speichern Kohlenstoff und sind die Heimat vieler Tiere.
Auf dem Rückweg (pflückte [er|sie] Brombeeren|überquerte [er|sie] eine alte Holzbrücke|traf [er|sie] einen Bauern mit seinen Hunden).
[Er|Sie] kam (müde, aber glücklich|mit schmutzigen Stiefeln|kurz vor Einbruch der Dunkelheit) nach Hause.
