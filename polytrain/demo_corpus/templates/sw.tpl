# Violezo vya Kiswahili kwa korasi ya maonyesho ya polytrain. Vimeandikwa na waandishi wa polytrain, CC0.
# Mlimani ni mji wa kubuni. Kiswahili hakina jinsia ya kisarufi, kwa hiyo hakuna [m|f].

@slot person name g
Amina | f
Juma | m
Neema | f
Baraka | m
Zawadi | f
Hamisi | m
Rehema | f
Omari | m
Fatuma | f
Daudi | m
@alias friend person

@slot city
Dar es Salaam
Mombasa
Arusha
Nairobi
Zanzibar
Kisumu
Dodoma
Lamu

@slot fruit
maembe
machungwa
ndizi
mananasi
mapapai
matikiti maji

@slot veg
nyanya
karoti
pilipili hoho
bilinganya
kabichi

@slot dish
pilau
wali na maharage
ugali na samaki
chapati
supu ya mboga
mchuzi wa kuku
biriani

@slot subject
hisabati
historia
jiografia
sayansi
Kiingereza
Kiswahili
muziki

@slot job
mwalimu
muuguzi
dereva
mpishi
seremala
mhasibu
daktari
mkulima

@slot day
Jumatatu
Jumanne
Jumatano
Alhamisi
Ijumaa
Jumamosi
Jumapili

@slot month
Januari
Februari
Machi
Aprili
Mei
Juni
Julai
Agosti
Septemba
Oktoba
Novemba
Desemba

@slot dog
Simba
Bahati
Tito

@topic weather
> Siku ya {day} asubuhi, anga juu ya Mlimani lilikuwa (na mawingu mengi|safi kabisa|la kijivu).
> {person} aliangalia nje ya dirisha kabla ya kifungua kinywa.
Mvua ilinyesha (asubuhi nzima|usiku kucha|kwa saa moja hivi), na barabara zilijaa maji.
Upepo baridi ulivuma kutoka kaskazini, na miti ikayumba.
Kufikia mchana jua lilitoka, na watu wakatoka nje.
{person} alichukua mwavuli kwa sababu mawingu yalikuwa meusi.
Wakati wa kiangazi jua huwaka sana, na ardhi hukauka.
Wakati wa masika mvua hunyesha kila siku, na mashamba huwa ya kijani.
Wakulima hufuatilia hali ya hewa kwa makini, kwa sababu mazao yao hutegemea mvua.
Redio ilisema kwamba dhoruba ingefika (kabla ya usiku wa manane|jioni).
Baada ya mvua, hewa ilikuwa safi, na ndege wakaanza kuimba tena.
Jioni kulikuwa na baridi, na {person} (alipika chai|alifunga madirisha).
Wazee husema kwamba zamani mvua zilinyesha zaidi.

@topic cooking
> Siku ya {day} {person} aliamua kupika chakula cha jioni kwa ajili ya (familia nzima|marafiki zake|babu na bibi yake).
> {person} anapenda sana kupika, hasa (siku za mapumziko|wageni wanapokuja).
Alitaka kupika {dish}.
Kwanza aliosha {veg} na kuzikata vipande vidogo.
Kisha alipasha mafuta kidogo kwenye sufuria na kuongeza (vitunguu|chumvi kidogo|tangawizi).
Alijifunza mapishi haya kutoka kwa (bibi yake|shangazi yake|jirani yake).
Harufu nzuri ya (viungo|nazi|mkate) ilienea jikoni.
Baada ya chakula walikula {fruit}.
Kila mtu alisema kwamba chakula kilikuwa kitamu sana.
Wali unahitaji maji mara mbili ya kiasi chake.
{friend} alimsaidia kuosha vyombo baada ya chakula.
Kesho yake alikula mabaki ya chakula mchana.
Mboga za msimu ni tamu zaidi, na bei yake ni nafuu sokoni.

@topic market
> Siku ya {day} {person} alikwenda sokoni mapema asubuhi.
> Kila {day} kuna soko kubwa katikati ya mji wa Mlimani.
Wakulima kutoka vijiji vya jirani huleta (mboga, mayai na maziwa|matunda na maua|asali na mkate).
{person} alinunua (kilo moja ya|kilo mbili za) {fruit} na {veg} kidogo.
Muuzaji alitabasamu na kumpa (limau moja bure|punguzo kidogo).
Kwenye kibanda cha jirani, mzee mmoja alikuwa akiuza (samaki wabichi|asali|mkate).
Soko lilikuwa na watu wengi kwa sababu ilikuwa Jumamosi.
Alilipa kwa (pesa taslimu|simu) na kuweka vitu vyote kwenye kikapu.
Mwaka huu bei zimepanda kwa sababu mvua ilikuwa kidogo.
Alikutana na {friend} karibu na kibanda cha maua, wakazungumza kwa muda.
Njiani kurudi nyumbani alipitia dukani kununua (mkate|maziwa|sukari).
Kununua sokoni huwasaidia wakulima wa eneo hili.

@topic school
> Siku ya {day} {person} alifika shuleni (mapema|kabla kengele haijalia|akiwa amechelewa kidogo).
> {person} ana miaka (kumi na miwili|kumi na mitatu|kumi na minne) na anasoma katika shule ya Mlimani.
Somo la kwanza lilikuwa {subject}, na mwalimu aliandika maswali mengi ubaoni.
Anapenda {subject} kwa sababu mwalimu anafundisha vizuri.
Wakati wa mapumziko (alicheza mpira na rafiki zake|alizungumza na {friend}).
{friend} huketi karibu naye na mara nyingi humsaidia katika mazoezi.
Baada ya chakula cha mchana wanafunzi walikwenda maktaba.
Kazi ya nyumbani ilikuwa (kusoma sura moja|kuandika insha fupi|kutatua maswali kumi).
Mazoezi yalikuwa magumu, lakini hakukata tamaa.
Mwalimu alisema kwamba mtihani utakuwa (wiki ijayo|mwishoni mwa mwezi).
Kengele ilipolia, wanafunzi wote walikimbia nje.
Nyumbani alifanya kazi zake za shule kabla ya chakula cha jioni.
Kujifunza lugha mpya huchukua muda, lakini mazoezi ya kila siku husaidia sana.

@topic family
> {person} anaishi na wazazi wake katika nyumba (ndogo|ya zamani) karibu na mto.
> Familia ya {person} ni (kubwa|ndogo).
Ana (kaka wawili|dada mdogo|kaka mmoja na dada mmoja).
Bibi yake anaishi katika kijiji cha jirani na huwatembelea kila Jumapili.
Mama yake ni (mwalimu|muuguzi|mfanyabiashara), na baba yake ni (seremala|mkulima|dereva).
Jioni familia nzima hula pamoja na kuzungumza kuhusu siku yao.
Babu yake hupenda kusimulia hadithi za zamani kuhusu mji wa Mlimani.
Nyuma ya nyumba kuna bustani ndogo ambapo wanapanda (nyanya|maua|mboga za majani).
Familia ina mbwa anayeitwa {dog}.
Kila mtu husaidia nyumbani: watoto huosha vyombo, na baba hununua chakula.
Familia ni muhimu sana kwake.

@topic work
> {person} ni {job} katika mji wa Mlimani.
Kila asubuhi huamka saa (kumi na mbili|moja) na kwenda kazini (kwa basi|kwa baiskeli|kwa miguu).
Kazi yake huanza saa (mbili|tatu) asubuhi na kuisha saa (kumi|kumi na moja) jioni.
Kazi ni ngumu wakati mwingine, lakini anaipenda.
Mchana hula (wali na maharage|chapati na chai) pamoja na wenzake.
Wiki iliyopita, mkuu wake alimwomba (aandike ripoti|awafundishe wafanyakazi wapya).
Anaweka akiba ili (anunue pikipiki|ajenge nyumba).
Baada ya kazi (huenda kucheza mpira|huwapigia simu wazazi wake).
Watu wengi wa Mlimani hufanya kazi (shambani|hospitalini|madukani).

@topic travel
> Mwezi wa {month} {person} alisafiri kwa basi kwenda {city} kumtembelea {friend}.
Alinunua tiketi (siku mbili|wiki moja) kabla ya safari.
Basi liliondoka alfajiri, na safari ilichukua saa (sita|nane).
Njiani aliona (mashamba ya chai|milima mirefu|mbuga yenye wanyama wengi).
{friend} alimsubiri kituoni akiwa na tabasamu kubwa.
Walitembea katika mji wa kale na kutembelea makumbusho.
Alionja chakula cha huko na kukipenda sana.
Alimnunulia mama yake (kanga nzuri|kikapu kidogo) kama zawadi.
Aliahidi kurudi {city} (mwaka ujao|wakati wa likizo).
Aliporudi Mlimani, aliwaonyesha familia yake picha.

@topic science
> Mwalimu alianza somo la sayansi kwa mambo machache ya kuvutia.
Maji huchemka kwa nyuzi joto mia moja.
Dunia huzunguka jua mara moja kila mwaka.
Mwezi hauna mwanga wake wenyewe; huakisi mwanga wa jua.
Mimea hutumia mwanga wa jua kutengeneza chakula chao.
Nyuki hubeba chavua kutoka ua moja hadi jingine.
Samaki hupumua kwa kutumia matamvua.
Bahari hufunika sehemu kubwa ya uso wa dunia.
Jua ni nyota iliyo karibu zaidi na dunia.
Sauti husafiri kwa kasi zaidi ndani ya maji kuliko hewani.

@topic history
> Historia ya mji wa Mlimani ni ndefu kuliko watu wengi wanavyofikiri.
Mji ulianzishwa na wakulima karibu na mto zaidi ya miaka mia tatu iliyopita.
Jina la Mlimani linatokana na milima inayozunguka mji.
Zamani watu wengi walilima kahawa na kuuza mazao yao sokoni.
Reli ilifika Mlimani mwaka 1912, na mji ukaanza kukua haraka.
Kuna jumba dogo la makumbusho linaloonyesha vifaa vya zamani.
Leo mji wa Mlimani una wakazi wapatao elfu kumi na mbili.
Kila mwaka kuna tamasha kubwa la ngoma na muziki.
Wazee bado wanakumbuka treni za mvuke.

@topic farm
> {person} ana shamba dogo nje kidogo ya mji.
Kila asubuhi huenda shambani kabla jua halijawa kali.
Analima (mahindi|maharage|mihogo) na (ndizi|mboga).
Mvua za kwanza zilipoanza, alipanda mbegu.
Magugu yaliota haraka, kwa hiyo aliyang'oa kila wiki.
Mwezi wa {month} alivuna mazao mengi.
Aliuza sehemu ya mavuno sokoni na kuwagawia majirani yaliyobaki.
