# Modèles français pour le corpus de démonstration de polytrain. Écrits par les auteurs de polytrain, CC0.
# Beaurivage est une ville imaginaire. Tous les prénoms commencent par une consonne (pas d'élision).

@slot person name g
Claire | f
Louis | m
Julie | f
Paul | m
Léa | f
Thomas | m
Chloé | f
Lucas | m
Manon | f
Nicolas | m
Sophie | f
Mathieu | m
Sarah | f
Julien | m
Margaux | f
Victor | m
Zoé | f
Baptiste | m
@alias friend person

@slot city
Lisbonne
Vienne
Prague
Genève
Bruxelles
Lyon
Bordeaux
Marseille
Nantes
Strasbourg
Montréal
Dakar

@slot fruit
pommes
poires
cerises
prunes
fraises
pêches
bananes
mandarines
framboises

@slot veg name g
carottes | f
pommes de terre | f
tomates | f
courgettes | f
betteraves | f
poivrons | m
concombres | m
champignons | m
poireaux | m
haricots verts | m

@slot dish
une soupe de légumes
un ragoût de lentilles
une salade de pommes de terre
une tarte aux pommes
un curry de poisson
un risotto aux champignons
une soupe de potiron
un gratin de pommes de terre
une grande omelette
un gâteau au citron
des pâtes à la sauce tomate

@slot subject art de
les maths | de maths
l'histoire | d'histoire
la géographie | de géographie
la biologie | de biologie
la chimie | de chimie
la musique | de musique
le dessin | de dessin
l'anglais | d'anglais
la physique | de physique
le français | de français

@slot job m f
professeur | professeure
infirmier | infirmière
boulanger | boulangère
ingénieur | ingénieure
chauffeur de bus | conductrice de bus
bibliothécaire | bibliothécaire
menuisier | menuisière
comptable | comptable
jardinier | jardinière
médecin | médecin
cuisinier | cuisinière
facteur | factrice

@slot day
lundi
mardi
mercredi
jeudi
vendredi
samedi
dimanche

@slot month
janvier
février
mars
avril
mai
juin
juillet
août
septembre
octobre
novembre
décembre

@slot pet
Minou
Filou
Caramel
Plume
Réglisse
Pompon

@topic weather
> Le {day} matin, le ciel au-dessus de Beaurivage était (gris|clair|couvert de gros nuages|d'un bleu pâle) quand {person} s'est [réveillé|réveillée].
> Avant le petit-déjeuner, {person} a regardé par la fenêtre pour (observer|examiner) le ciel.
> En {month}, le temps à Beaurivage est (difficile à prévoir|souvent surprenant|plutôt doux), dit {person}.
Il a plu (presque toute la matinée|toute la nuit|pendant environ une heure), et les rues étaient (mouillées|pleines de flaques).
Un vent froid soufflait du nord (et secouait les arbres|et faisait trembler les fenêtres).
La météo annonçait que la température descendrait en dessous de zéro pendant la nuit.
Vers midi, le soleil est revenu, et les gens (ont ouvert leurs fenêtres|sont sortis|se sont assis dans le parc).
{person} a pris un parapluie parce que les nuages étaient (sombres|lourds|menaçants).
En été, les journées sont longues, et l'air reste (chaud|lourd) même le soir.
En hiver, il fait nuit tôt, et (la neige couvre souvent les collines|le lac gèle parfois|les routes sont souvent glissantes).
(Le printemps|L'automne) est la saison la plus agréable ici, (parce qu'il ne fait ni trop chaud ni trop froid|parce que la lumière est douce).
À la radio, on a annoncé qu'un orage arriverait (avant minuit|dans la soirée|plus tard dans la journée).
Le tonnerre (grondait|résonnait) dans la vallée, et (les chiens se cachaient sous la table|les enfants comptaient les secondes après chaque éclair).
Après l'orage, l'air sentait (bon|la terre mouillée), et les (oiseaux|enfants) sont ressortis.
Les agriculteurs (surveillent le temps de près|craignent les gelées tardives|espèrent un printemps doux), car leurs récoltes en dépendent.
{person} a dit que le brouillard était si épais (qu'on ne voyait pas le bout de la rue|que les bus avaient du retard).
(Quand il fait beau|Les jours de beau temps), {person} aime (se promener le long de la rivière|aller au travail à vélo|déjeuner dehors).
Les stations météo mesurent (la température|les précipitations|la vitesse du vent) toutes les heures.
L'après-midi, la (pluie|neige) s'est arrêtée, et un soleil (pâle|éclatant) est apparu entre les nuages.
Le soir, (il faisait de nouveau froid|le vent s'est levé de nouveau|tout était de nouveau calme), et {person} (a allumé le poêle|s'est fait un thé|a fermé les rideaux).
{person} espérait que (le lendemain|le week-end) serait (plus sec|plus ensoleillé|plus doux).
(Les personnes âgées|Certains voisins) disent que les hivers étaient autrefois (plus froids|plus longs|plus enneigés).

@topic cooking
> {person} a décidé de préparer le dîner pour (toute la famille|quelques amis|ses grands-parents) {day} dernier.
> {day} dernier, {person} a passé (tout l'après-midi|la soirée) dans la cuisine.
> {person} adore cuisiner, surtout (le week-end|quand des amis viennent|en hiver).
[Il|Elle] voulait préparer {dish}.
D'abord, [il|elle] a lavé les {veg}, puis [il|elle] les a [veg:coupés|coupées] en (petits morceaux|fines tranches|dés).
Ensuite, [il|elle] a fait chauffer un peu d'huile dans une (grande|lourde) poêle et a ajouté (un oignon|un peu d'ail|une pincée de sel).
La recette venait de sa (grand-mère|tante|vieille voisine).
Pendant que l'eau chauffait, [il|elle] (a mis la table|a fait la vaisselle|a écouté la radio).
[Il|Elle] a goûté la sauce et a ajouté (une pincée de poivre|un peu de sel|une cuillère de sucre|des herbes fraîches).
Bientôt, la cuisine sentait (l'ail et les herbes|le pain chaud|le beurre fondu).
Comme dessert, [il|elle] a servi des {fruit} avec (de la crème|du yaourt|du miel).
Tout le monde a dit que c'était (délicieux|très bon|meilleur qu'au restaurant).
La cuisson lente à basse température (rend la viande tendre|fait ressortir les saveurs).
Le riz a besoin d'environ deux fois son volume en eau.
La pâte à pain doit reposer au moins une heure pour pouvoir lever.
[Il|Elle] a failli oublier d'éteindre le four, mais {friend} [friend:s'en est aperçu|s'en est aperçue] à temps.
Après le repas, {friend} [l'a aidé|l'a aidée] à (faire la vaisselle|ranger la cuisine).
Le lendemain, [il|elle] a mangé les restes à midi.
[Il|Elle] a noté la recette pour la refaire (la semaine prochaine|en hiver|pour une fête).
Un bon couteau et une planche en bois suffisent dans une petite cuisine.
Les légumes de saison sont meilleurs et souvent moins chers au marché.

@topic travel
> En {month}, {person} a pris le train jusqu'à {city} pour rendre visite à {friend}.
> Depuis des années, {person} rêvait de visiter {city}.
> En {month} dernier, {person} a passé (une semaine|dix jours|un long week-end) à {city}.
[Il|Elle] a acheté son billet (en ligne|à la gare) (deux semaines|un mois|quelques jours) avant le départ.
Le train est parti (tôt le matin|juste après le lever du soleil|à sept heures et demie), et le voyage a duré (six|environ cinq|presque huit) heures.
[Il|Elle] n'avait qu'un petit sac avec (quelques vêtements|un livre|un appareil photo) et une carte.
Par la fenêtre, [il|elle] voyait (des champs, des rivières et de petits villages|des montagnes enneigées|de longues plages grises).
À la gare, {friend} l'attendait avec (un grand sourire|un manteau chaud|une petite voiture).
{person} et {friend} (ont visité un musée|ont grimpé jusqu'au château|ont pris un café au bord du fleuve).
L'hôtel était petit (mais propre|et calme|et proche du centre), et le personnel était (aimable|serviable).
[Il|Elle] a goûté la cuisine locale et a beaucoup aimé (la soupe|le poisson frais|les pâtisseries).
Le soir, les rues étaient pleines de (musique|monde|lumières), et l'air était (doux|frais).
[Il|Elle] a oublié son (parapluie|portefeuille|téléphone) (dans un café|dans le bus), mais un inconnu le lui a rapporté.
Chaque soir, [il|elle] écrivait quelques lignes dans un petit carnet de voyage.
[Il|Elle] a acheté (des cartes postales|un petit tableau|une écharpe) pour sa (mère|sœur).
Le dernier jour, il a plu, alors l'après-midi s'est passé (dans une bibliothèque|au musée|dans un café bien chaud).
Le retour a été (long|lent|fatigant), mais [il|elle] a (dormi presque tout le trajet|lu un roman entier).
[Il|Elle] a promis de revenir à {city} (l'année prochaine|cet été|avec toute la famille).
Le train est plus lent que l'avion, mais (il est plus reposant|on voit mieux les paysages|il consomme moins d'énergie).
De retour à Beaurivage, [il|elle] a montré les photos à sa famille.

@topic school
> {day}, {person} est [arrivé|arrivée] à l'école (dix minutes en avance|juste avant la sonnerie|en retard parce que le bus était lent).
> {person} a (douze|treize|quatorze|quinze) ans et va au collège de Beaurivage.
> Pour {person}, la journée d'école a commencé {day} (comme d'habitude|plus tôt que d'habitude).
Le premier cours était le cours {subject.de}, et (la professeure|le professeur) (a écrit une longue liste au tableau|a commencé par un petit contrôle|a posé beaucoup de questions).
[Il|Elle] aime {subject} parce que la professeure explique tout (clairement|patiemment|avec des exemples amusants).
Pendant la récréation, [il|elle] (a joué au football avec ses amis|a mangé une pomme|a parlé du week-end avec {friend}).
{friend} est [friend:assis|assise] à côté de [lui|elle] et l'aide souvent pour les exercices.
La classe préparait un exposé sur (l'histoire de la ville|la rivière et ses poissons|l'alimentation saine|les planètes).
Après le déjeuner, les élèves (sont allés à la bibliothèque|ont eu cours de musique|ont travaillé dans le jardin de l'école).
Pour le lendemain, ils devaient (lire un chapitre|écrire une courte rédaction|résoudre dix exercices).
[Il|Elle] trouvait les exercices difficiles, mais [il|elle] (n'a pas abandonné|a continué à essayer|a demandé de l'aide).
L'école compte (environ quatre cents élèves|une petite bibliothèque|un grand terrain de sport) et (vingt professeurs|un potager).
La professeure a dit que l'examen aurait lieu (la semaine prochaine|à la fin du mois|dans deux semaines).
L'après-midi, les élèves ont répété une pièce de théâtre pour la fête de l'école.
Quand la sonnerie a retenti, tout le monde (a rangé ses affaires|a couru dehors|s'est dit au revoir).
[Il|Elle] est [rentré|rentrée] à la maison avec {friend} en parlant (du contrôle|de la professeure|des vacances).
À la maison, [il|elle] (a fait ses devoirs sur la table de la cuisine|a lu pendant une heure avant le dîner).
Ses parents lui ont demandé comment s'était passée la journée, et [il|elle] a répondu qu'elle avait été (bonne|longue|intéressante).
Apprendre une langue prend du temps, mais (la pratique régulière|la lecture quotidienne|la conversation avec d'autres) aide beaucoup.

@topic work
> {person} travaille comme [{job.m}|{job.f}] à Beaurivage.
> {person} est [{job.m}|{job.f}] depuis (cinq|dix|presque vingt) ans.
> (Au printemps dernier|En {month}|Il y a quelques mois), {person} a commencé un nouveau travail comme [{job.m}|{job.f}].
Chaque matin, [il|elle] se lève à (six heures|six heures et demie|sept heures) et va au travail (en bus|à vélo|à pied).
Sa journée de travail commence à (huit|neuf) heures et se termine (en fin d'après-midi|à dix-sept heures|à dix-huit heures).
[Il|Elle] partage un bureau avec (trois|deux|quatre) collègues (qui sont aimables et serviables|qui aiment parler de football).
(Le matin|Avant le déjeuner), [il|elle] (répond généralement aux courriels|planifie la semaine|rencontre l'équipe).
Le travail est (parfois fatigant|souvent chargé|rarement ennuyeux), mais [il|elle] (l'aime bien|apprécie ses collègues).
À midi, [il|elle] mange (un sandwich|une salade|une soupe) (à la cantine|à son bureau|dans le parc voisin).
La semaine dernière, son chef lui a demandé de (diriger un nouveau projet|former deux nouveaux collègues|rédiger un rapport).
Le projet doit être terminé (avant la fin du mois|d'ici vendredi|avant les vacances d'été).
[Il|Elle] met de l'argent de côté (pour une nouvelle voiture|pour voyager|pour acheter une maison).
Parfois, [il|elle] doit travailler tard, (surtout en décembre|quand il y a une échéance|quand un collègue est malade).
Le vendredi, l'équipe (va souvent boire un verre|fait une courte réunion|déjeune ensemble).
[Il|Elle] pense qu'une bonne équipe (sait écouter|communique clairement|partage le travail équitablement).
L'année prochaine, [il|elle] voudrait (suivre une formation|apprendre quelque chose de nouveau|travailler moins).
Après le travail, [il|elle] (va à la salle de sport|prépare le dîner|lit le journal|appelle ses parents).
Beaucoup d'habitants de la ville travaillent (à l'hôpital|à l'usine|dans de petits commerces|dans les fermes des environs).

@topic market
> {day} dernier, {person} est [allé|allée] au marché sur la grande place de Beaurivage.
> {person} est [allé|allée] au marché tôt le {day} matin.
> {day}, {person} avait besoin (de provisions pour la semaine|de fruits pour un gâteau|de légumes pour une soupe).
Les agriculteurs viennent des villages (des environs|de la vallée) pour vendre (des légumes, des œufs et du fromage|des fruits et des fleurs|du miel et du pain).
[Il|Elle] a acheté (un kilo|deux kilos|un sac) de {fruit} et quelques {veg}.
Les {fruit} étaient (bon marché|très fraîches|bien sucrées) cette semaine.
La marchande (a souri|a ri) et lui a offert (un citron|un morceau de fromage|une petite remise).
Au stand voisin, un vieil homme vendait (du fromage|du miel|du poisson frais|de la confiture maison).
[Il|Elle] a demandé d'où venait (le fromage|le miel|le pain).
Le marché était (bondé|bruyant|calme) (parce que c'était samedi|à cause de la pluie|ce matin-là).
[Il|Elle] a payé (en espèces|par carte) et a tout mis dans un sac (en tissu|en papier).
Les prix ont augmenté cette année parce que l'été a été (trop sec|très chaud|trop pluvieux).
(Près de la fontaine|Au coin de la place), une jeune femme vendait (des fleurs|des petits pains|du café).
[Il|Elle] a croisé {friend} près du stand de fleurs et a discuté un moment avec [friend:lui|elle].
Sur le chemin du retour, [il|elle] [s'est arrêté|s'est arrêtée] à la boulangerie pour acheter (du pain|un gâteau|des croissants).
Acheter au marché, c'est soutenir les agriculteurs de la région.
(En automne|En été), les étals sont pleins (de citrouilles et de pommes|de fruits rouges et de tomates).
Vers treize heures, les marchands ont rangé leurs étals, et la place est redevenue vide.

@topic family
> {person} habite avec ses parents dans une (petite|vieille|jolie) maison près de la rivière.
> {person} vient d'une (grande|petite) famille.
> {person} parle (souvent|volontiers) de sa famille.
[Il|Elle] a (deux frères|une petite sœur|un grand frère et une sœur|trois cousins qui habitent tout près).
Sa grand-mère habite (dans la rue voisine|dans un village tout proche|à l'autre bout de la ville) et vient les voir (tous les dimanches|souvent).
Le dimanche, toute la famille (déjeune ensemble|fait une promenade|rend visite aux grands-parents).
Sa mère travaille (à l'hôpital|à la poste|comme professeure), et son père (est menuisier|travaille dans une banque|tient une petite boutique).
Son petit frère (apprend le piano|apprend à faire du vélo|adore dessiner des animaux).
Le soir, ils (jouent aux cartes|regardent un film|racontent leur journée) dans le salon.
Ses grands-parents racontent souvent à quoi ressemblait la ville il y a cinquante ans.
L'année dernière, la famille a fêté (les quatre-vingts ans de la grand-mère|l'anniversaire de mariage des parents).
Derrière la maison, il y a un (petit|grand) jardin où ils cultivent (des tomates|des fleurs|des herbes aromatiques).
La famille a un chien qui s'appelle {pet}.
À la maison, tout le monde aide : (les enfants font la vaisselle|l'un cuisine, l'autre fait le ménage|le père fait les courses).
Enfant, [il|elle] (était souvent malade|aimait grimper aux arbres|voulait devenir pilote).
[Il|Elle] appelle ses parents (chaque semaine|tous les soirs|le dimanche).
La famille a toujours été très importante pour [lui|elle].
(L'été prochain|Cette année), la famille compte (partir à la mer|repeindre la maison|rendre visite à des cousins à l'étranger).

@topic science
> La professeure a commencé le cours de sciences par (quelques|plusieurs) faits (simples|étonnants).
> {person} a lu (quelques|plusieurs) faits intéressants dans un livre de sciences.
L'eau bout à cent degrés Celsius au niveau de la mer.
La Terre fait le tour du Soleil en un an.
La Lune ne produit pas de lumière : elle renvoie celle du Soleil.
Les plantes fabriquent du sucre et de l'oxygène à partir de la lumière, de l'eau et du dioxyde de carbone.
Le son se propage plus vite dans l'eau que dans l'air.
La lumière du Soleil met environ huit minutes pour atteindre la Terre.
Au repos, le cœur humain bat environ soixante-dix fois par minute.
La glace flotte parce qu'elle est moins dense que l'eau liquide.
Les abeilles transportent le pollen de fleur en fleur et aident les plantes à produire des graines.
Une année sur Mars dure presque deux fois plus longtemps qu'une année sur Terre.
Les métaux conduisent bien la chaleur et l'électricité, contrairement au bois et au plastique.
Les océans couvrent la plus grande partie de la surface de la Terre.
Les tremblements de terre se produisent quand de grandes plaques de roche glissent les unes contre les autres.
L'eau salée gèle à une température plus basse que l'eau douce.
Les nuages se forment quand de l'air chaud et humide monte et se refroidit.
Jupiter est la plus grande planète du système solaire.
Certains oiseaux parcourent des milliers de kilomètres chaque année pour passer l'hiver au chaud.
Chaque année, un arbre forme un nouvel anneau de bois, ce qui permet de compter son âge.
Un arc-en-ciel apparaît quand la lumière du soleil traverse des gouttes de pluie.
Les aimants attirent le fer, mais pas le cuivre ni l'aluminium.
Le cerveau consomme environ un cinquième de l'énergie du corps.
Les poissons respirent grâce à leurs branchies, qui prennent l'oxygène dans l'eau.
Le Soleil est une étoile, et c'est l'étoile la plus proche de nous.
Le corps humain est composé en grande partie d'eau.
En automne, les feuilles jaunissent parce que l'arbre cesse de produire de la chlorophylle.

@topic history
> L'histoire de Beaurivage est (longue|plus ancienne qu'on ne le croit|pleine de surprises).
> Peu de visiteurs connaissent l'histoire de Beaurivage.
> Le musée local raconte l'histoire de Beaurivage (depuis ses origines|en détail).
Beaurivage a été fondée il y a (plus de|environ) (six|sept) cents ans par des paysans, au bord de la rivière.
La ville doit son nom à la belle rive où les bateaux s'arrêtaient autrefois.
Pendant des siècles, la plupart des habitants vivaient de l'agriculture et vendaient de la laine au marché.
Au quinzième siècle, la ville a construit un pont en pierre, qui existe toujours.
En 1742, un grand incendie a détruit (la moitié des maisons en bois|une grande partie du vieux centre).
Après l'incendie, les maisons ont été reconstruites en (pierre|pierre et en brique).
Le chemin de fer est arrivé à Beaurivage en 1868, et la ville (a commencé à grandir rapidement|a changé pour toujours).
Une usine textile a ouvert près de la gare et (employait des centaines d'ouvriers|a attiré de nombreuses familles).
L'ancien hôtel de ville abrite aujourd'hui un petit musée d'histoire locale.
Au musée, on peut voir (de vieux outils|des photos du port|une maquette de la ville en 1800|la première pompe à incendie).
L'école a été construite en 1901 (et sert toujours|et agrandie en 1965).
Pendant le long hiver de 1929, la rivière a gelé, et les gens patinaient d'une rive à l'autre.
L'usine a fermé en 1982, et beaucoup d'habitants (ont dû trouver un autre travail|sont partis).
Aujourd'hui, Beaurivage compte environ douze mille habitants.
Chaque été, la ville célèbre son histoire avec (une fête|un défilé|de la musique et des danses) sur la grande place.
Les anciens se souviennent encore (de la sirène de l'usine|des trains à vapeur|du vieux cinéma).
Les archives de la ville conservent (des lettres|des cartes|des documents) qui ont plusieurs siècles.

@topic cat
> Un soir (froid|pluvieux|tranquille), {person} a remarqué que son chat {pet} n'était pas rentré.
> {person} a un chat (gris|noir|roux) qui s'appelle {pet} et qui aime se promener.
[Il|Elle] a appelé le chat dans le jardin, mais rien n'a bougé.
[Il|Elle] a cherché sous les voitures, derrière la remise et dans la vieille grange.
{friend}, [friend:le voisin|la voisine], est [friend:venu|venue] avec une lampe de poche pour aider.
Les voisins ont été interrogés, mais personne n'avait vu le chat.
Cette nuit-là, [il|elle] (n'a pas pu dormir|a laissé la fenêtre de la cuisine ouverte|a posé un bol de lait devant la porte).
Le matin, [il|elle] a fait de petites affiches avec une photo de {pet} et les a accrochées aux arbres.
(Deux|Trois) jours ont passé sans nouvelles.
Puis le téléphone a sonné : une dame avait entendu un chat miauler (dans son garage|sur son toit).
{pet} avait faim et était (sale|fatigué), mais (en bonne santé|sain et sauf), et il ronronnait très fort.
[Il|Elle] a ramené le chat à la maison et lui a donné (un bon repas|du lait tiède|un morceau de poisson).
Depuis ce jour, {pet} (reste plus près de la maison|dort chaque nuit sur son lit).

@topic garden
> En {month}, {person} a commencé un petit potager derrière la maison.
> {person} a toujours voulu cultiver ses propres légumes.
D'abord, [il|elle] a (bêché la terre|enlevé les pierres|arraché les mauvaises herbes).
[Il|Elle] a planté des {veg} dans une plate-bande et des fleurs dans une autre.
Chaque soir, [il|elle] arrosait les plantes avec un arrosoir (vert|rouillé|bien lourd).
Pendant des semaines, rien ne semblait pousser, et [il|elle] (commençait à s'inquiéter|perdait patience).
Puis de petites feuilles vertes sont apparues (un matin|après une pluie tiède).
Les limaces ont mangé quelques jeunes plants, alors [il|elle] (a construit une petite clôture|a demandé conseil à {friend}).
En (juillet|août), les {veg} étaient [veg:mûrs|mûres], et [il|elle] les a [veg:récoltés|récoltées] (avec fierté|avec soin).
[Il|Elle] a partagé la récolte avec (les voisins|{friend}|ses grands-parents).
L'année prochaine, [il|elle] veut aussi planter (des haricots|des citrouilles|des fraises).
Un jardin apprend la patience, car les plantes poussent lentement.

@topic birthday
> {day} dernier, {person} a fêté ses (dix|dix-huit|trente|quarante) ans.
> {person} était [impatient|impatiente] parce que sa fête d'anniversaire avait lieu (le week-end|{day}).
[Il|Elle] a invité (dix|quelques|douze) amis et (quelques cousins|ses voisins).
{friend} a fait un gâteau (au chocolat|au citron|aux fraises) (avec des bougies|avec de la crème).
Les invités sont arrivés (dans l'après-midi|vers six heures|les uns après les autres) avec des cadeaux et des fleurs.
Ils ont (chanté|joué|dansé) dans le jardin jusqu'à la nuit tombée.
Ses parents lui ont offert (un livre|un nouveau vélo|une écharpe chaude|un tableau).
À la fin de la soirée, [il|elle] a remercié tout le monde d'être venu.
C'était (le plus bel anniversaire de sa vie|une journée qu'[il|elle] n'oublierait jamais).

@topic health
> Cette année, {person} veut vivre de façon plus (saine|active).
> Depuis (janvier|l'automne dernier), {person} (court|nage) (deux fois par semaine|tous les matins).
[Il|Elle] court (le long de la rivière|dans le parc|dans la forêt) (avant le travail|le soir).
Au début, c'était difficile, mais après quelques semaines, [il|elle] se sentait (plus [fort|forte]|beaucoup mieux|plus en forme).
Les médecins recommandent (trente minutes d'exercice par jour|une courte marche après les repas).
[Il|Elle] mange maintenant plus de (légumes|fruits|poisson) et moins de (sucre|sel|viande).
Boire assez d'eau est important, surtout (en été|pendant le sport).
Le sommeil est aussi important que le sport et une bonne alimentation.
[Il|Elle] s'est [inscrit|inscrite] dans un club de (football|natation|course à pied), où [il|elle] a rencontré (de nouveaux amis|{friend}).
{day}, il y avait une (petite course|compétition amicale) dans le parc, et [il|elle] a fait mieux que prévu.
Quand [il|elle] a attrapé un rhume, [il|elle] est [resté|restée] à la maison et (a bu du thé chaud|s'est [reposé|reposée] quelques jours).
[Il|Elle] dit que le sport l'aide à (se détendre|se vider la tête).

@topic hobby
> Pendant son temps libre, {person} aime (peindre|dessiner|faire de la photo|faire de la poterie).
> {person} a une passion qui surprend beaucoup de gens : [il|elle] (construit des maquettes de bateaux|collectionne les vieilles cartes|élève des abeilles).
[Il|Elle] a commencé (quand [il|elle] était enfant|il y a quelques années|après son arrivée à Beaurivage).
[Il|Elle] y consacre (presque toutes ses soirées|tous ses dimanches|quelques heures par semaine).
[Il|Elle] a appris (dans des livres|grâce à des vidéos|avec l'aide de {friend}).
Au début, [il|elle] était (un peu [maladroit|maladroite]|assez [lent|lente]), mais [il|elle] a progressé (petit à petit|chaque semaine).
L'année dernière, [il|elle] a présenté son travail lors d'une petite exposition à la bibliothèque.
Beaucoup de visiteurs ont posé des questions, et certains (voulaient acheter quelque chose|ont demandé des cours).
[Il|Elle] pense qu'une passion (donne des couleurs à la vie|aide à oublier les soucis).
La bibliothèque de Beaurivage a (un club de lecture|un club d'échecs|une chorale) qui se réunit chaque {day}.
Lire avant de dormir est une habitude à laquelle [il|elle] ne renoncerait pour rien au monde.

@topic nature
> {day} dernier, {person} a fait une longue promenade dans la (grande|vieille) forêt près de Beaurivage.
> {day}, {person} a fait une randonnée dans les collines au-dessus de la ville.
Le sentier (longeait la rivière|montait doucement|traversait des prés pleins de fleurs).
[Il|Elle] a vu (un chevreuil|un renard|deux lièvres|un héron) (à la lisière de la forêt|près de l'eau).
Les oiseaux chantaient dans les arbres, et l'air sentait (le pin|les feuilles mouillées|les fleurs sauvages).
La rivière est assez propre pour que (des truites|des loutres|de petits poissons) y vivent.
En automne, les feuilles deviennent (rouges et dorées|jaunes et brunes), et des champignons poussent sous les arbres.
Sur une colline, [il|elle] [s'est arrêté|s'est arrêtée] pour (se reposer|manger un sandwich|admirer la vue).
Chaque printemps, des bénévoles plantent de nouveaux arbres pour protéger le sol.
Les forêts stockent du carbone et abritent de nombreux animaux.
Sur le chemin du retour, [il|elle] a (cueilli des mûres|traversé un vieux pont en bois|croisé un fermier avec ses chiens).
[Il|Elle] est [rentré|rentrée] (juste avant la nuit|avec des bottes pleines de boue|[fatigué mais heureux|fatiguée mais heureuse]).
