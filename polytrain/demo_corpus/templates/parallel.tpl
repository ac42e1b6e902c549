# Aligned sentence templates for demo/corpus/parallel/{de,fr,ru,zh}-en.tsv.
# Written by the polytrain authors, CC0. One block per sentence; the k-th choice group of each
# language aligns with the k-th group of "en" (or with group N when written "(N:a|b)"), and the
# alternatives at the same index are translations of each other.

en: The train to (Berlin|Rome|Vienna) leaves at (seven|eight|nine) o'clock.
de: Der Zug nach (Berlin|Rom|Wien) fährt um (sieben|acht|neun) Uhr ab.
fr: Le train pour (Berlin|Rome|Vienne) part à (sept|huit|neuf) heures.
ru: Поезд в (Берлин|Рим|Вену) отправляется в (семь|восемь|девять) часов.
zh: 开往(柏林|罗马|维也纳)的火车(七|八|九)点出发。

en: (My sister|My brother) works in (a hospital|a bank|a school) in the city centre.
de: (Meine Schwester|Mein Bruder) arbeitet in (einem Krankenhaus|einer Bank|einer Schule) im Stadtzentrum.
fr: (Ma sœur|Mon frère) travaille dans (un hôpital|une banque|une école) du centre-ville.
ru: (Моя сестра|Мой брат) работает в (больнице|банке|школе) в центре города.
zh: 我(姐姐|哥哥)在市中心的(一家医院|一家银行|一所学校)工作。

en: It is (cold|raining|windy) today, so we are staying at home.
de: Heute (ist es kalt|regnet es|ist es windig), deshalb bleiben wir zu Hause.
fr: Aujourd'hui (il fait froid|il pleut|il y a du vent), alors nous restons à la maison.
ru: Сегодня (холодно|идёт дождь|ветрено), поэтому мы остаёмся дома.
zh: 今天(很冷|下雨|风很大)，所以我们待在家里。

en: We bought (apples|bread|cheese) at the market on (Saturday|Sunday).
de: Wir haben (Äpfel|Brot|Käse) am (Samstag|Sonntag) auf dem Markt gekauft.
fr: Nous avons acheté (des pommes|du pain|du fromage) au marché (samedi|dimanche).
ru: Мы купили (яблоки|хлеб|сыр) на рынке в (субботу|воскресенье).
zh: 我们(2:星期六|星期天)在市场上买了(1:苹果|面包|奶酪)。

en: (Anna|Peter) is reading a book (in the garden|in the kitchen|on the balcony).
de: (Anna|Peter) liest (im Garten|in der Küche|auf dem Balkon) ein Buch.
fr: (Anna|Peter) lit un livre (dans le jardin|dans la cuisine|sur le balcon).
ru: (Анна|Пётр) читает книгу (в саду|на кухне|на балконе).
zh: (安娜|彼得)正在(花园里|厨房里|阳台上)看书。

en: My grandmother makes the best (soup|cake|bread) in the (village|town).
de: Meine Großmutter macht (die beste Suppe|den besten Kuchen|das beste Brot) (im Dorf|in der Stadt).
fr: Ma grand-mère fait (la meilleure soupe|le meilleur gâteau|le meilleur pain) (du village|de la ville).
ru: У моей бабушки (самый вкусный суп|самый вкусный пирог|самый вкусный хлеб) (в деревне|в городе).
zh: 我奶奶做的(汤|蛋糕|面包)是(村里|城里)最好吃的。

en: The children play (football|in the snow|by the river) (after school|at the weekend).
de: Die Kinder spielen (2:nach der Schule|am Wochenende) (1:Fußball|im Schnee|am Fluss).
fr: Les enfants jouent (au football|dans la neige|au bord de la rivière) (après l'école|le week-end).
ru: (2:После школы|По выходным) дети играют (1:в футбол|в снегу|у реки).
zh: (2:放学后|周末)，孩子们(1:踢足球|在雪地里玩|在河边玩)。

en: Could you please (open|close) the (window|door)?
de: Könntest du bitte (2:das Fenster|die Tür) (1:öffnen|schließen)?
fr: Pourrais-tu (ouvrir|fermer) (la fenêtre|la porte), s'il te plaît ?
ru: Можешь, пожалуйста, (открыть|закрыть) (окно|дверь)?
zh: 你能(打开|关上)(窗户|门)吗？

en: The museum is closed on (Mondays|Tuesdays) but open on (Sundays|Saturdays).
de: Das Museum ist (montags|dienstags) geschlossen, aber (sonntags|samstags) geöffnet.
fr: Le musée est fermé le (lundi|mardi) mais ouvert le (dimanche|samedi).
ru: Музей закрыт по (понедельникам|вторникам), но открыт по (воскресеньям|субботам).
zh: 博物馆(星期一|星期二)闭馆，但是(星期天|星期六)开放。

en: In the morning I usually drink (tea|coffee) with (milk|sugar|lemon).
de: Morgens trinke ich meistens (Tee|Kaffee) mit (Milch|Zucker|Zitrone).
fr: Le matin, je bois généralement du (thé|café) avec du (lait|sucre|citron).
ru: Утром я обычно пью (чай|кофе) с (молоком|сахаром|лимоном).
zh: 早上我一般喝加(2:牛奶|糖|柠檬)的(1:茶|咖啡)。

en: There are (twenty|thirty|twenty-five) pupils in our class.
de: In unserer Klasse sind (zwanzig|dreißig|fünfundzwanzig) Schüler.
fr: Il y a (vingt|trente|vingt-cinq) élèves dans notre classe.
ru: В нашем классе (двадцать|тридцать|двадцать пять) учеников.
zh: 我们班有(二十|三十|二十五)个学生。

en: (He|She) has lived in this town for (ten|five|twenty) years.
de: (Er|Sie) wohnt seit (zehn|fünf|zwanzig) Jahren in dieser Stadt.
fr: (Il|Elle) habite dans cette ville depuis (dix|cinq|vingt) ans.
ru: (Он|Она) живёт в этом городе уже (десять|пять|двадцать) лет.
zh: (他|她)在这个城市住了(十|五|二十)年了。

en: The shop (on the corner|next to the church) sells (fresh fish|fruit and vegetables|newspapers).
de: Der Laden (an der Ecke|neben der Kirche) verkauft (frischen Fisch|Obst und Gemüse|Zeitungen).
fr: Le magasin (du coin|à côté de l'église) vend (du poisson frais|des fruits et des légumes|des journaux).
ru: В магазине (на углу|рядом с церковью) продают (свежую рыбу|фрукты и овощи|газеты).
zh: (拐角|教堂旁边)的那家商店卖(新鲜的鱼|水果和蔬菜|报纸)。

en: We are going (to the sea|to the mountains) in (July|August).
de: Im (2:Juli|August) fahren wir (1:ans Meer|in die Berge).
fr: Nous allons (à la mer|à la montagne) en (juillet|août).
ru: В (2:июле|августе) мы едем (1:на море|в горы).
zh: 我们(2:七月|八月)去(1:海边|山里)。

en: (The doctor|My mother) said that I should (rest|drink more water|sleep more).
de: (Der Arzt hat|Meine Mutter hat) gesagt, dass ich (mich ausruhen|mehr Wasser trinken|mehr schlafen) soll.
fr: (Le médecin|Ma mère) a dit que je devais (me reposer|boire plus d'eau|dormir davantage).
ru: (Врач сказал|Мама сказала), что мне нужно (отдохнуть|пить больше воды|больше спать).
zh: (医生|妈妈)说我应该(多休息|多喝水|多睡觉)。

en: This (soup|salad) is too (salty|cold).
de: (Diese Suppe|Dieser Salat) ist zu (salzig|kalt).
fr: (Cette soupe|Cette salade) est trop (salée|froide).
ru: (Этот суп|Этот салат) слишком (солёный|холодный).
zh: 这(碗汤|盘沙拉)太(咸|凉)了。

en: The library opens at (nine|ten) and closes at (six|eight) in the evening.
de: Die Bibliothek öffnet um (neun|zehn) und schließt um (sechs|acht) Uhr abends.
fr: La bibliothèque ouvre à (neuf|dix) heures et ferme à (six|huit) heures du soir.
ru: Библиотека открывается в (девять|десять) и закрывается в (шесть|восемь) вечера.
zh: 图书馆(九|十)点开门，晚上(六|八)点关门。

en: In summer my friends and I (often|sometimes) go swimming (in the lake|in the river|in the sea).
de: Im Sommer gehen meine Freunde und ich (oft|manchmal) (im See|im Fluss|im Meer) schwimmen.
fr: L'été, mes amis et moi allons (souvent|parfois) nager (dans le lac|dans la rivière|dans la mer).
ru: Летом мы с друзьями (часто|иногда) купаемся (в озере|в реке|в море).
zh: 夏天，我和朋友们(常常|有时候)去(湖里|河里|海里)游泳。

en: (The cat|The dog) is sleeping under the (table|bed).
de: (Die Katze|Der Hund) schläft unter dem (Tisch|Bett).
fr: (Le chat|Le chien) dort sous (la table|le lit).
ru: (Кошка|Собака) спит под (столом|кроватью).
zh: (猫|狗)在(桌子|床)底下睡觉。

en: It takes (ten|twenty|fifteen) minutes to walk to the (station|school|market).
de: Zu Fuß braucht man (zehn|zwanzig|fünfzehn) Minuten bis (zum Bahnhof|zur Schule|zum Markt).
fr: Il faut (dix|vingt|quinze) minutes à pied pour aller (à la gare|à l'école|au marché).
ru: До (2:вокзала|школы|рынка) (1:десять|двадцать|пятнадцать) минут пешком.
zh: 走路到(2:火车站|学校|市场)要(1:十|二十|十五)分钟。

en: In autumn the leaves turn (yellow|red) and fall from the trees.
de: Im Herbst werden die Blätter (gelb|rot) und fallen von den Bäumen.
fr: En automne, les feuilles deviennent (jaunes|rouges) et tombent des arbres.
ru: Осенью листья становятся (жёлтыми|красными) и падают с деревьев.
zh: 秋天，树叶变(黄|红)了，从树上落下来。

en: Please write your (name|address|phone number) here.
de: Bitte schreiben Sie hier (Ihren Namen|Ihre Adresse|Ihre Telefonnummer).
fr: Veuillez écrire (votre nom|votre adresse|votre numéro de téléphone) ici.
ru: Пожалуйста, напишите здесь (своё имя|свой адрес|свой номер телефона).
zh: 请在这里写上您的(名字|地址|电话号码)。

en: (Tom forgot his|Maria forgot her) umbrella at the station.
de: (Tom hat seinen|Maria hat ihren) Regenschirm am Bahnhof vergessen.
fr: (Tom a oublié son|Maria a oublié son) parapluie à la gare.
ru: (Том забыл|Мария забыла) зонт на вокзале.
zh: (汤姆|玛丽亚)把雨伞忘在火车站了。

en: (Tomorrow|On Sunday) (it will be sunny|it will rain|it will be cloudy).
de: (Morgen|Am Sonntag) (wird es sonnig|regnet es|wird es bewölkt).
fr: (Demain|Dimanche), (il fera beau|il pleuvra|le temps sera nuageux).
ru: (Завтра|В воскресенье) (будет солнечно|будет дождь|будет облачно).
zh: (明天|星期天)(是晴天|会下雨|多云)。

en: We need (two|three|four) kilos of (potatoes|apples) for the party.
de: Für das Fest brauchen wir (zwei|drei|vier) Kilo (Kartoffeln|Äpfel).
fr: Pour la fête, il nous faut (deux|trois|quatre) kilos (de pommes de terre|de pommes).
ru: Для праздника нам нужно (два|три|четыре) килограмма (картошки|яблок).
zh: 聚会需要(两|三|四)公斤(土豆|苹果)。

en: (The bus|The train) was late because of (the snow|the traffic|an accident).
de: (Der Bus|Der Zug) hatte wegen (des Schnees|des Verkehrs|eines Unfalls) Verspätung.
fr: (Le bus|Le train) était en retard à cause (de la neige|de la circulation|d'un accident).
ru: (Автобус|Поезд) опоздал из-за (снега|пробок|аварии).
zh: 因为(2:下雪|堵车|出了车祸)，(1:公交车|火车)晚点了。

en: (My father|My grandfather) (reads the newspaper|drinks coffee|listens to the radio) every morning.
de: (Mein Vater|Mein Großvater) (liest jeden Morgen die Zeitung|trinkt jeden Morgen Kaffee|hört jeden Morgen Radio).
fr: (Mon père|Mon grand-père) (lit le journal|boit du café|écoute la radio) tous les matins.
ru: (Мой папа|Мой дедушка) каждое утро (читает газету|пьёт кофе|слушает радио).
zh: 我(爸爸|爷爷)每天早上都(看报纸|喝咖啡|听收音机)。

en: The concert starts at (eight|half past seven) and lasts (two hours|about an hour).
de: Das Konzert beginnt um (acht|halb acht) und dauert (zwei Stunden|etwa eine Stunde).
fr: Le concert commence à (huit heures|sept heures et demie) et dure (deux heures|environ une heure).
ru: Концерт начинается в (восемь|половине восьмого) и длится (два часа|около часа).
zh: 音乐会(八点|七点半)开始，持续(两个小时|大约一个小时)。

en: Don't forget to (water the plants|feed the cat|lock the door) (tonight|tomorrow morning).
de: Vergiss nicht, (2:heute Abend|morgen früh) (1:die Pflanzen zu gießen|die Katze zu füttern|die Tür abzuschließen).
fr: N'oublie pas (d'arroser les plantes|de nourrir le chat|de fermer la porte à clé) (ce soir|demain matin).
ru: Не забудь (2:сегодня вечером|завтра утром) (1:полить цветы|покормить кошку|запереть дверь).
zh: 别忘了(2:今天晚上|明天早上)(1:浇花|喂猫|锁门)。

en: Here the river is (wide|deep|cold), so be careful.
de: Hier ist der Fluss (breit|tief|kalt), also sei vorsichtig.
fr: Ici, la rivière est (large|profonde|froide), alors fais attention.
ru: Здесь река (широкая|глубокая|холодная), так что будьте осторожны.
zh: 这里(河面很宽|河水很深|河水很冷)，所以要小心。

en: A table for (two|four) at (eight|seven) o'clock, please.
de: Einen Tisch für (zwei|vier) Personen um (acht|sieben) Uhr, bitte.
fr: Une table pour (deux|quatre) personnes à (huit|sept) heures, s'il vous plaît.
ru: Столик на (двоих|четверых) на (восемь|семь) часов, пожалуйста.
zh: 请给我们订一张(两|四)人桌，(八|七)点的。

en: She is learning (Spanish|Chinese|German) (because she wants to travel|for her new job).
de: Sie lernt (Spanisch|Chinesisch|Deutsch)(, weil sie reisen möchte| für ihre neue Stelle).
fr: Elle apprend (l'espagnol|le chinois|l'allemand) (parce qu'elle veut voyager|pour son nouveau travail).
ru: Она учит (испанский|китайский|немецкий) язык, (потому что хочет путешествовать|потому что это нужно для новой работы).
zh: 她在学(西班牙语|中文|德语)，(因为她想去旅行|因为新工作需要)。

en: (The bakery|The market) opens very early, at (five|six) in the morning.
de: (Die Bäckerei|Der Markt) öffnet sehr früh, um (fünf|sechs) Uhr morgens.
fr: (La boulangerie|Le marché) ouvre très tôt, à (cinq|six) heures du matin.
ru: (Булочная открывается|Рынок открывается) очень рано, в (пять|шесть) утра.
zh: (面包店|市场)开门很早，早上(五|六)点就开了。

en: Our neighbours have (two children|a big garden|an old car).
de: Unsere Nachbarn haben (zwei Kinder|einen großen Garten|ein altes Auto).
fr: Nos voisins ont (deux enfants|un grand jardin|une vieille voiture).
ru: У наших соседей (двое детей|большой сад|старая машина).
zh: 我们的邻居有(两个孩子|一个大花园|一辆旧车)。

en: Water boils at one hundred degrees.
de: Wasser kocht bei hundert Grad.
fr: L'eau bout à cent degrés.
ru: Вода кипит при ста градусах.
zh: 水在一百度时沸腾。

en: The Earth goes around the Sun in one year.
de: Die Erde umkreist die Sonne in einem Jahr.
fr: La Terre tourne autour du Soleil en un an.
ru: Земля обращается вокруг Солнца за один год.
zh: 地球一年绕太阳转一圈。

en: (In winter|In December) it gets dark at (four|five) o'clock.
de: (Im Winter|Im Dezember) wird es um (vier|fünf) Uhr dunkel.
fr: (En hiver|En décembre), il fait nuit à (quatre|cinq) heures.
ru: (Зимой|В декабре) темнеет (в четыре часа|в пять часов).
zh: (冬天|十二月)(四|五)点天就黑了。

en: (The tickets|The rooms) are cheaper (if you book early|in winter).
de: (Die Fahrkarten|Die Zimmer) sind billiger, (wenn man früh bucht|im Winter).
fr: (Les billets sont moins chers|Les chambres sont moins chères) (si on réserve tôt|en hiver).
ru: (Билеты|Номера) дешевле, (если бронировать заранее|зимой).
zh: (2:提前预订的话|冬天)，(1:票|房间)会便宜一些。

en: (He|She) plays the (piano|guitar|violin) in a small band.
de: (Er|Sie) spielt (Klavier|Gitarre|Geige) in einer kleinen Band.
fr: (Il|Elle) joue (du piano|de la guitare|du violon) dans un petit groupe.
ru: (Он|Она) играет на (пианино|гитаре|скрипке) в небольшой группе.
zh: (他|她)在一个小乐队里(弹钢琴|弹吉他|拉小提琴)。

en: (Last spring|Last year) we planted (tomatoes|beans|flowers) in the garden.
de: (Letzten Frühling|Letztes Jahr) haben wir (Tomaten|Bohnen|Blumen) im Garten gepflanzt.
fr: (Le printemps dernier|L'année dernière), nous avons planté (des tomates|des haricots|des fleurs) dans le jardin.
ru: (Прошлой весной|В прошлом году) мы посадили в саду (помидоры|фасоль|цветы).
zh: (去年春天|去年)，我们在花园里种了(西红柿|豆角|花)。

en: Where is the nearest (pharmacy|post office|bus stop)?
de: Wo ist (die nächste Apotheke|die nächste Post|die nächste Bushaltestelle)?
fr: Où est (la pharmacie la plus proche|le bureau de poste le plus proche|l'arrêt de bus le plus proche) ?
ru: Где (ближайшая аптека|ближайшая почта|ближайшая остановка)?
zh: 最近的(药店|邮局|公交车站)在哪儿？

en: We are (tired|hungry|cold) after the long walk.
de: Nach dem langen Spaziergang sind wir (müde|hungrig|durchgefroren).
fr: Après la longue promenade, nous (sommes fatigués|avons faim|avons froid).
ru: После долгой прогулки мы (устали|проголодались|замёрзли).
zh: 走了很长的路以后，我们(很累|饿了|很冷)。

en: (The town|The village) was founded (six|seven|eight) hundred years ago.
de: (Die Stadt|Das Dorf) wurde vor (sechshundert|siebenhundert|achthundert) Jahren gegründet.
fr: (La ville a été fondée|Le village a été fondé) il y a (six|sept|huit) cents ans.
ru: (Город был основан|Деревня была основана) (шестьсот|семьсот|восемьсот) лет назад.
zh: (这座城市|这个村子)建于(六|七|八)百年前。

en: (My mother|My aunt) grows (herbs|roses|strawberries) on the balcony.
de: (Meine Mutter|Meine Tante) zieht auf dem Balkon (Kräuter|Rosen|Erdbeeren).
fr: (Ma mère|Ma tante) fait pousser (des herbes aromatiques|des roses|des fraises) sur le balcon.
ru: (Моя мама|Моя тётя) выращивает на балконе (зелень|розы|клубнику).
zh: 我(妈妈|阿姨)在阳台上种(香草|玫瑰|草莓)。

en: The film was (long|funny|sad), but we liked it.
de: Der Film war (lang|lustig|traurig), aber er hat uns gefallen.
fr: Le film était (long|drôle|triste), mais il nous a plu.
ru: Фильм был (длинный|смешной|грустный), но нам понравился.
zh: 这部电影(很长|很好笑|很悲伤)，但是我们很喜欢。

en: They are building (a new school|a new bridge|a new hospital) (near the river|in the town centre).
de: (2:Am Fluss|Im Stadtzentrum) bauen sie (1:eine neue Schule|eine neue Brücke|ein neues Krankenhaus).
fr: On construit (une nouvelle école|un nouveau pont|un nouvel hôpital) (près de la rivière|dans le centre-ville).
ru: (2:У реки|В центре города) строят (1:новую школу|новый мост|новую больницу).
zh: (2:河边|市中心)正在建(1:一所新学校|一座新桥|一家新医院)。

en: Sound travels faster in water than in air.
de: Schall breitet sich im Wasser schneller aus als in der Luft.
fr: Le son se propage plus vite dans l'eau que dans l'air.
ru: В воде звук распространяется быстрее, чем в воздухе.
zh: 声音在水里传播得比在空气中快。

en: Bees help plants to make seeds.
de: Bienen helfen den Pflanzen, Samen zu bilden.
fr: Les abeilles aident les plantes à produire des graines.
ru: Пчёлы помогают растениям давать семена.
zh: 蜜蜂帮助植物结出种子。

en: (On Sundays|In the evening) we (often|sometimes) visit our grandparents.
de: (Sonntags|Abends) besuchen wir (oft|manchmal) unsere Großeltern.
fr: (Le dimanche|Le soir), nous rendons (souvent|parfois) visite à nos grands-parents.
ru: (По воскресеньям|По вечерам) мы (часто|иногда) навещаем бабушку и дедушку.
zh: (星期天|晚上)我们(常常|有时候)去看爷爷奶奶。

en: Can I pay (by card|in cash)?
de: Kann ich (mit Karte|bar) bezahlen?
fr: Est-ce que je peux payer (par carte|en espèces) ?
ru: Можно заплатить (картой|наличными)?
zh: 可以(刷卡|付现金)吗？

en: (The soup|The sauce) needs (more salt|a little pepper|fresh herbs).
de: (Die Suppe|Die Soße) braucht (mehr Salz|etwas Pfeffer|frische Kräuter).
fr: (La soupe|La sauce) a besoin (de plus de sel|d'un peu de poivre|d'herbes fraîches).
ru: В (суп|соус) нужно добавить (ещё соли|немного перца|свежей зелени).
zh: (汤|酱汁)里需要再加(点盐|一点胡椒|些新鲜的香草)。

en: Last year (my brother|my sister) moved to (Paris|London|Madrid).
de: Letztes Jahr ist (mein Bruder|meine Schwester) nach (Paris|London|Madrid) gezogen.
fr: L'année dernière, (mon frère|ma sœur) a déménagé à (Paris|Londres|Madrid).
ru: В прошлом году (мой брат переехал|моя сестра переехала) в (Париж|Лондон|Мадрид).
zh: 去年，我(哥哥|姐姐)搬到了(巴黎|伦敦|马德里)。

en: (The museum|The castle|The old church) is worth a visit.
de: (Das Museum|Die Burg|Die alte Kirche) ist einen Besuch wert.
fr: (Le musée|Le château|La vieille église) vaut la visite.
ru: (Музей|Замок|Старую церковь) стоит посетить.
zh: (这座博物馆|这座城堡|这座老教堂)值得一去。

en: It has been (raining|snowing) since (this morning|yesterday|Monday).
de: Es (regnet|schneit) seit (heute Morgen|gestern|Montag).
fr: Il (pleut|neige) depuis (ce matin|hier|lundi).
ru: (Дождь идёт|Снег идёт) (с утра|со вчерашнего дня|с понедельника).
zh: 从(2:早上|昨天|星期一)开始就一直在(1:下雨|下雪)。

en: We have (English|history|music) on (Tuesday|Thursday) mornings.
de: Am (2:Dienstagmorgen|Donnerstagmorgen) haben wir (1:Englisch|Geschichte|Musik).
fr: Nous avons (cours d'anglais|cours d'histoire|cours de musique) le (mardi|jeudi) matin.
ru: По (2:вторникам|четвергам) утром у нас (1:английский|история|музыка).
zh: 我们(2:星期二|星期四)上午有(1:英语|历史|音乐)课。

en: (The hotel|Our flat) is (near the beach|in the old town|next to the station).
de: (Das Hotel|Unsere Wohnung) liegt (in der Nähe des Strandes|in der Altstadt|neben dem Bahnhof).
fr: (L'hôtel|Notre appartement) se trouve (près de la plage|dans la vieille ville|à côté de la gare).
ru: (Гостиница|Наша квартира) находится (недалеко от пляжа|в старом городе|рядом с вокзалом).
zh: (酒店|我们的公寓)(在海滩附近|在老城区|在火车站旁边)。

en: (He|She) goes to work by (bus|bike|train).
de: (Er|Sie) fährt mit (dem Bus|dem Fahrrad|dem Zug) zur Arbeit.
fr: (Il|Elle) va au travail (en bus|à vélo|en train).
ru: (Он|Она) ездит на работу на (автобусе|велосипеде|поезде).
zh: (他|她)(坐公交车|骑自行车|坐火车)去上班。

en: (Our teacher|My grandmother) explains everything very (clearly|patiently).
de: (Unsere Lehrerin|Meine Großmutter) erklärt alles sehr (klar|geduldig).
fr: (Notre professeure|Ma grand-mère) explique tout très (clairement|patiemment).
ru: (Наша учительница|Моя бабушка) всё объясняет очень (понятно|терпеливо).
zh: (我们老师|我奶奶)讲什么都很(清楚|耐心)。

en: The price of (bread|milk|petrol) has gone up again.
de: Der Preis für (Brot|Milch|Benzin) ist wieder gestiegen.
fr: Le prix (du pain|du lait|de l'essence) a encore augmenté.
ru: (Хлеб снова подорожал|Молоко снова подорожало|Бензин снова подорожал).
zh: (面包|牛奶|汽油)又涨价了。

en: I will call you (tomorrow|this evening|after work).
de: Ich rufe dich (morgen|heute Abend|nach der Arbeit) an.
fr: Je t'appelle (demain|ce soir|après le travail).
ru: Я позвоню тебе (завтра|сегодня вечером|после работы).
zh: 我(明天|今天晚上|下班以后)给你打电话。

en: The children built (a snowman|a sandcastle) (in the park|behind the house).
de: Die Kinder haben (2:im Park|hinter dem Haus) (1:einen Schneemann|eine Sandburg) gebaut.
fr: Les enfants ont construit (un bonhomme de neige|un château de sable) (dans le parc|derrière la maison).
ru: Дети (2:в парке|за домом) (1:слепили снеговика|построили замок из песка).
zh: 孩子们(2:在公园里|在房子后面)(1:堆了一个雪人|堆了一个沙堡)。

en: My (phone|watch) is broken, so I need a new one.
de: (Mein Handy ist kaputt, deshalb brauche ich ein neues|Meine Uhr ist kaputt, deshalb brauche ich eine neue).
fr: (Mon téléphone est cassé, j'ai donc besoin d'un nouveau|Ma montre est cassée, j'ai donc besoin d'une nouvelle).
ru: (Мой телефон сломался, поэтому мне нужен новый|Мои часы сломались, поэтому мне нужны новые).
zh: 我的(手机坏了，所以我需要一部新的|手表坏了，所以我需要一块新的)。

en: (In summer|In August) it is (hot|humid), and it rarely rains.
de: (Im Sommer|Im August) ist es (heiß|schwül), und es regnet selten.
fr: (En été|En août), il fait (chaud|lourd), et il pleut rarement.
ru: (Летом|В августе) (жарко|душно), и дожди бывают редко.
zh: (夏天|八月)(很热|很闷)，很少下雨。

en: (She|My sister) (sings|dances) very well.
de: (Sie|Meine Schwester) (singt|tanzt) sehr gut.
fr: (Elle|Ma sœur) (chante|danse) très bien.
ru: (Она|Моя сестра) очень хорошо (поёт|танцует).
zh: (她|我妹妹)(唱歌唱得|跳舞跳得)很好。

en: The meeting has been moved to (Wednesday|Friday|next week).
de: Die Besprechung wurde auf (Mittwoch|Freitag|nächste Woche) verschoben.
fr: La réunion a été reportée à (mercredi|vendredi|la semaine prochaine).
ru: Встречу перенесли на (среду|пятницу|следующую неделю).
zh: 会议改到了(星期三|星期五|下个星期)。

en: Could you tell me the way to the (station|market square|museum)?
de: Können Sie mir sagen, wie ich (zum Bahnhof|zum Marktplatz|zum Museum) komme?
fr: Pouvez-vous m'indiquer le chemin (de la gare|de la place du marché|du musée) ?
ru: Не подскажете, как пройти (к вокзалу|к рыночной площади|к музею)?
zh: 请问去(火车站|集市广场|博物馆)怎么走？

en: My grandfather was a (farmer|teacher|carpenter) all his life.
de: Mein Großvater war sein ganzes Leben lang (Bauer|Lehrer|Tischler).
fr: Mon grand-père a été (agriculteur|instituteur|menuisier) toute sa vie.
ru: Мой дедушка всю жизнь был (фермером|учителем|плотником).
zh: 我爷爷一辈子都是(农民|老师|木匠)。

en: (Fruit from the market is fresher than fruit|Vegetables from the market are fresher than vegetables) from the supermarket.
de: (Obst vom Markt ist frischer als Obst|Gemüse vom Markt ist frischer als Gemüse) aus dem Supermarkt.
fr: (Les fruits|Les légumes) du marché sont plus frais que ceux du supermarché.
ru: (Фрукты|Овощи) с рынка свежее, чем из супермаркета.
zh: 市场上的(水果|蔬菜)比超市里的新鲜。

en: We waited (at the doctor's|at the station) for (an hour|half an hour|twenty minutes).
de: Wir haben (beim Arzt|am Bahnhof) (eine Stunde|eine halbe Stunde|zwanzig Minuten) gewartet.
fr: Nous avons attendu (2:une heure|une demi-heure|vingt minutes) (1:chez le médecin|à la gare).
ru: Мы ждали (у врача|на вокзале) (час|полчаса|двадцать минут).
zh: 我们在(诊所|火车站)等了(一个小时|半个小时|二十分钟)。

en: (The lake|The river) freezes in (January|February) almost every year.
de: (Der See|Der Fluss) friert fast jedes Jahr im (Januar|Februar) zu.
fr: (Le lac|La rivière) gèle presque chaque année en (janvier|février).
ru: (Озеро|Река) замерзает почти каждый год в (январе|феврале).
zh: (湖面|河面)几乎每年(一|二)月都会结冰。

en: Please turn off the (light|computer|television) before you leave.
de: Bitte schalte (das Licht|den Computer|den Fernseher) aus, bevor du gehst.
fr: Éteins (la lumière|l'ordinateur|la télévision) avant de partir, s'il te plaît.
ru: Пожалуйста, выключи (свет|компьютер|телевизор) перед уходом.
zh: 走之前请把(灯|电脑|电视)关掉。

en: (Tom is taller than his|Lisa is taller than her) father.
de: (Tom ist größer als sein|Lisa ist größer als ihr) Vater.
fr: (Tom est plus grand que son|Lisa est plus grande que son) père.
ru: (Том выше своего|Лиза выше своего) отца.
zh: (汤姆比他|丽莎比她)爸爸高。

en: Dinner is ready; come to the table!
de: Das Abendessen ist fertig, kommt zu Tisch!
fr: Le dîner est prêt, à table !
ru: Ужин готов, идите к столу!
zh: 晚饭做好了，快来吃吧！

en: (The post office|The bank) is closed today because it is a holiday.
de: (Die Post|Die Bank) ist heute geschlossen, weil Feiertag ist.
fr: (La poste|La banque) est fermée aujourd'hui parce que c'est un jour férié.
ru: (Почта сегодня закрыта|Банк сегодня закрыт), потому что праздник.
zh: 今天是节假日，(邮局|银行)不开门。

en: Every morning (he|she) runs (five|three|ten) kilometres along the river.
de: Jeden Morgen läuft (er|sie) (fünf|drei|zehn) Kilometer am Fluss entlang.
fr: Chaque matin, (il|elle) court (cinq|trois|dix) kilomètres le long de la rivière.
ru: Каждое утро (он|она) пробегает (пять километров|три километра|десять километров) вдоль реки.
zh: (他|她)每天早上沿着河边跑(五|三|十)公里。

en: The (apples|pears|plums) in our garden are ripe.
de: Die (Äpfel|Birnen|Pflaumen) in unserem Garten sind reif.
fr: (Les pommes|Les poires|Les prunes) de notre jardin sont mûres.
ru: (Яблоки|Груши|Сливы) в нашем саду созрели.
zh: 我们园子里的(苹果|梨|李子)熟了。

en: I can't find my (keys|glasses|wallet).
de: Ich finde (meine Schlüssel|meine Brille|mein Portemonnaie) nicht.
fr: Je ne trouve pas (mes clés|mes lunettes|mon portefeuille).
ru: Я не могу найти (ключи|очки|кошелёк).
zh: 我找不到我的(钥匙|眼镜|钱包)了。

en: In spring the fields are full of (flowers|birds).
de: Im Frühling sind die Felder voller (Blumen|Vögel).
fr: Au printemps, les champs sont pleins (de fleurs|d'oiseaux).
ru: Весной поля полны (цветов|птиц).
zh: 春天，田野里到处都是(花|鸟)。

en: The new library has (many books|a café|a reading room for children).
de: Die neue Bibliothek hat (viele Bücher|ein Café|einen Lesesaal für Kinder).
fr: La nouvelle bibliothèque a (beaucoup de livres|un café|une salle de lecture pour les enfants).
ru: В новой библиотеке (много книг|есть кафе|есть читальный зал для детей).
zh: 新图书馆里有(很多书|一家咖啡馆|一个儿童阅览室)。

en: My cousin is getting married in (May|June|September).
de: Mein Cousin heiratet im (Mai|Juni|September).
fr: Mon cousin se marie en (mai|juin|septembre).
ru: Мой двоюродный брат женится в (мае|июне|сентябре).
zh: 我表哥(五|六|九)月结婚。

en: (My aunt|My uncle) lives in a (small|big) house (near the sea|near the forest).
de: (Meine Tante|Mein Onkel) wohnt in einem (kleinen|großen) Haus (am Meer|am Waldrand).
fr: (Ma tante|Mon oncle) habite dans une (petite|grande) maison (près de la mer|près de la forêt).
ru: (Моя тётя|Мой дядя) живёт в (маленьком|большом) доме (у моря|у леса).
zh: 我(1:姑姑|叔叔)住在(3:海边|森林旁边)的一栋(2:小|大)房子里。

en: We usually eat (fish|rice|soup) on (Fridays|Sundays).
de: (2:Freitags|Sonntags) essen wir meistens (1:Fisch|Reis|Suppe).
fr: Nous mangeons généralement (du poisson|du riz|de la soupe) le (vendredi|dimanche).
ru: По (2:пятницам|воскресеньям) мы обычно едим (1:рыбу|рис|суп).
zh: 我们(2:星期五|星期天)一般(1:吃鱼|吃米饭|喝汤)。

en: The (red|blue|green) bicycle belongs to my (brother|sister).
de: Das (rote|blaue|grüne) Fahrrad gehört (meinem Bruder|meiner Schwester).
fr: Le vélo (rouge|bleu|vert) est à (mon frère|ma sœur).
ru: (Красный|Синий|Зелёный) велосипед — (моего брата|моей сестры).
zh: 那辆(红色的|蓝色的|绿色的)自行车是我(哥哥|姐姐)的。

en: I need to buy (a new coat|warm boots|a scarf) (before winter|this week).
de: (2:Vor dem Winter|Diese Woche) muss ich (1:einen neuen Mantel|warme Stiefel|einen Schal) kaufen.
fr: Je dois acheter (un nouveau manteau|des bottes chaudes|une écharpe) (avant l'hiver|cette semaine).
ru: (2:До зимы|На этой неделе) мне нужно купить (1:новое пальто|тёплые сапоги|шарф).
zh: (2:冬天之前|这个星期)，我得买(1:一件新大衣|一双暖和的靴子|一条围巾)。

en: The hospital is looking for (nurses|doctors|cooks).
de: Das Krankenhaus sucht (Pflegekräfte|Ärzte|Köche).
fr: L'hôpital cherche (des infirmiers|des médecins|des cuisiniers).
ru: Больнице нужны (медсёстры|врачи|повара).
zh: 医院正在招聘(护士|医生|厨师)。

en: (Yesterday|Last night) it snowed for the first time this year.
de: (Gestern|Letzte Nacht) hat es zum ersten Mal in diesem Jahr geschneit.
fr: (Hier|La nuit dernière), il a neigé pour la première fois cette année.
ru: (Вчера|Прошлой ночью) впервые в этом году выпал снег.
zh: (昨天|昨天夜里)下了今年的第一场雪。

en: My (son|daughter) starts school in (September|August).
de: (Mein Sohn|Meine Tochter) kommt im (September|August) in die Schule.
fr: (Mon fils|Ma fille) entre à l'école en (septembre|août).
ru: (Мой сын|Моя дочь) пойдёт в школу в (сентябре|августе).
zh: 我(儿子|女儿)(九|八)月开始上学。

en: Please speak more (slowly|quietly).
de: Bitte sprich (langsamer|leiser).
fr: Parle plus (lentement|doucement), s'il te plaît.
ru: Говори, пожалуйста, (медленнее|тише).
zh: 请说得(慢|小声)一点。

en: The (cherries|strawberries) are (sweet|sour) this year.
de: Die (Kirschen|Erdbeeren) sind dieses Jahr (süß|sauer).
fr: (Les cerises|Les fraises) sont (sucrées|acides) cette année.
ru: (Вишня|Клубника) в этом году (сладкая|кислая).
zh: 今年的(樱桃|草莓)很(甜|酸)。

en: We watched (the sunset|the stars) from the (hill|roof).
de: Wir haben vom (2:Hügel|Dach) aus (1:den Sonnenuntergang|die Sterne) beobachtet.
fr: Nous avons regardé (le coucher du soleil|les étoiles) depuis (la colline|le toit).
ru: Мы смотрели на (закат|звёзды) с (холма|крыши).
zh: 我们在(2:山上|屋顶上)看(1:日落|星星)。

en: (The baker|The shopkeeper) gave the child a (sweet|biscuit).
de: (Der Bäcker|Der Ladenbesitzer) hat dem Kind (ein Bonbon|einen Keks) geschenkt.
fr: (Le boulanger|Le commerçant) a donné (un bonbon|un biscuit) à l'enfant.
ru: (Пекарь|Продавец) дал ребёнку (конфету|печенье).
zh: (面包师|店主)给了孩子一(块糖|块饼干)。

en: How much does (a kilo of apples|a loaf of bread|a litre of milk) cost?
de: Wie viel kostet (ein Kilo Äpfel|ein Laib Brot|ein Liter Milch)?
fr: Combien coûte (un kilo de pommes|une miche de pain|un litre de lait) ?
ru: Сколько стоит (килограмм яблок|буханка хлеба|литр молока)?
zh: (一公斤苹果|一个面包|一升牛奶)多少钱？
