# English templates for the polytrain demo corpus. Written by the polytrain authors, CC0.
# Millbrook is a fictional town.

@slot person name g
Anna | f
Tom | m
Maria | f
David | m
Sara | f
James | m
Lucy | f
Omar | m
Emma | f
Daniel | m
Grace | f
Peter | m
Nina | f
Samuel | m
Clara | f
Ben | m
Julia | f
Leo | m
Rosa | f
Martin | m
Helen | f
Victor | m
@alias friend person

@slot city
Lisbon
Oslo
Vienna
Kyoto
Cairo
Lima
Dublin
Prague
Nairobi
Montreal
Edinburgh
Seville
Krakow
Istanbul

@slot fruit
apples
pears
oranges
bananas
plums
cherries
grapes
peaches
strawberries
apricots

@slot veg
carrots
potatoes
onions
tomatoes
green beans
peppers
cucumbers
mushrooms
leeks
courgettes
beetroots

@slot dish
a vegetable soup
a lentil stew
a potato salad
an apple pie
a fish curry
a mushroom risotto
a pot of rice with beans
a lemon cake
a pumpkin soup
a chicken stew
a plate of pasta with tomato sauce
a large omelette

@slot subject
mathematics
history
geography
biology
chemistry
music
art
English
physics
literature
French

@slot job
a teacher
a nurse
a baker
an engineer
a bus driver
a librarian
a carpenter
an accountant
a gardener
a doctor
a postman
a cook

@slot day
Monday
Tuesday
Wednesday
Thursday
Friday
Saturday
Sunday

@slot month
January
February
March
April
May
June
July
August
September
October
November
December

@slot pet
Max
Bella
Pepper
Luna
Oscar
Daisy
Milo

@topic weather
> (On|Early on) {day} morning the sky over Millbrook was (grey|clear|full of heavy clouds|pale blue).
> The weather (changed quickly|was strange|was calm all day) last {day}.
> {person} looked out of the window and (checked|studied) the sky before breakfast.
> In {month} the weather in Millbrook is (hard to predict|often surprising|usually mild).
It rained (for most of the morning|all night|for about an hour), and the streets were (wet|full of puddles).
A cold wind (came|blew) from the north (and shook the trees|and made the windows rattle|all afternoon).
The forecast said that the temperature would (fall|drop) below zero during the night.
By noon the sun (came out|was shining again), and people (opened their windows|went outside|sat in the park).
{person} took an umbrella because the clouds looked (dark|heavy|threatening).
In summer the days are long, and the air (is warm|feels heavy) even in the evening.
In winter it gets dark early, and (snow often covers the hills|the lake sometimes freezes|the roads can be icy).
(Spring|Autumn) is the most pleasant season here, (because it is neither too hot nor too cold|because the light is soft).
The radio (warned|said) that a storm (would arrive|was coming) (before midnight|in the evening|later that day).
Thunder (rolled over|echoed across) the valley, and (the dogs hid under the table|the children counted the seconds after each flash).
After the storm the air smelled (fresh|clean), and the (birds|children) came out again.
Farmers (watch the weather closely|worry about late frost|hope for a mild spring), because their crops depend on it.
{person} said that the fog was so thick (that [he|she] could not see the end of the street|that the buses were late).
(On warm days|When the weather is fine), {person} likes to (walk along the river|cycle to work|eat lunch outside).
Weather stations measure (the temperature|the rainfall|the wind speed) every hour and send the data to a central office.
The (snow|rain) (stopped|ended) in the afternoon, and a (weak|bright) sun appeared (behind|between) the clouds.
By the evening it was (cold|windy|quiet) again, and {person} (lit the stove|made a cup of tea|closed the curtains).
{person} hoped that (the next day|the weekend) would be (dry|sunny|warmer).
(Old people|Some neighbours) say that the winters were (colder|longer|snowier) when they were young.

@topic cooking
> {person} decided to cook dinner for (the whole family|some friends|[his|her] grandparents) last {day}.
> Last {day} {person} spent the (afternoon|whole evening) in the kitchen.
> {person} (loves|enjoys) cooking, especially (on weekends|when friends come to visit|in winter).
[He|She] (wanted to make|planned to make|chose to prepare) {dish}.
First [he|she] washed the {veg} and cut them into (small pieces|thin slices|cubes).
[He|She] heated some oil in a (large|heavy) pan and added (the onions|a little garlic|some salt).
The recipe (came from|was written by) [his|her] (grandmother|aunt|old neighbour) (many years ago|long ago).
While the water was boiling, [he|she] (set the table|washed the dishes|listened to the radio).
[He|She] (tasted|checked) the sauce and added (a pinch of pepper|more salt|a spoonful of sugar|some fresh herbs).
The kitchen soon smelled of (garlic and herbs|fresh bread|warm butter|roasted {veg}).
For dessert [he|she] served {fruit} with (cream|yogurt|honey).
Everybody said that the food was (delicious|very good|better than in a restaurant).
(Cooking|Baking) slowly at a low temperature (keeps the food moist|brings out the flavour).
Rice needs about twice as much water as its own volume.
Bread dough must rest for at least an hour so that it can rise.
[He|She] (forgot|almost forgot) to turn off the oven, but {friend} noticed it in time.
After dinner {friend} helped [him|her] (wash the dishes|clean the kitchen|put the leftovers in the fridge).
The next day [he|she] (ate the leftovers for lunch|gave the leftovers to a neighbour).
[He|She] (wrote down|saved) the recipe so that [he|she] could make it again (next week|in winter|for a party).
A good knife and a wooden board are (the most useful tools|all you need) in a small kitchen.
(Fresh|Seasonal) vegetables taste better and are usually cheaper (at the market|in summer).

@topic travel
> In {month} {person} took a train to {city} to visit {friend}.
> {person} had wanted to see {city} for (many years|a long time).
> Last {month} {person} (travelled|went) to {city} for (a week|ten days|a long weekend).
[He|She] (booked|bought) a ticket (online|at the station) (two weeks|a month|a few days) before the trip.
The train left (early in the morning|just after sunrise|at half past seven), and the journey took (six|about five|nearly eight) hours.
[He|She] packed only a small bag with (some clothes|a book|a camera) and a map.
Through the window [he|she] saw (fields, rivers and small villages|mountains covered with snow|long grey beaches).
At the station {friend} was waiting with a (big smile|warm coat|small car).
They (walked|wandered) through the old town and (visited a museum|climbed up to the castle|sat in a café by the river).
The hotel was small (but clean|and quiet|and close to the centre), and the staff were (friendly|helpful).
[He|She] tried the local food and liked (the soup|the fresh fish|the sweet pastries) (most of all|very much).
In the evening the streets were full of (music|people|lights), and the air was (warm|cool).
[He|She] (lost|forgot) [his|her] (ticket|umbrella|phone) (in a café|on the bus), but a stranger returned it.
Every evening [he|she] wrote a few lines in a small travel diary.
[He|She] bought (postcards|a small painting|a scarf) as a present for [his|her] (mother|brother|sister).
On the last day it rained, so they spent the afternoon in (a library|the museum|a warm café).
The journey home was (long|slow|tiring), but [he|she] (slept most of the way|read a whole novel).
[He|She] promised to come back to {city} (next year|in summer|with the whole family).
Travelling by train is slower than flying, but it (uses less energy|is more relaxing|shows you the landscape).
(At home|Back in Millbrook) [he|she] showed the photos to [his|her] family.

@topic school
> On {day} {person} arrived at school (ten minutes early|just before the bell rang|late because the bus was slow).
> {person} is (twelve|thirteen|fourteen|fifteen) years old and goes to the school in Millbrook.
> The school day (started|began) (as usual|earlier than usual) for {person} on {day}.
The first lesson was {subject}, and the teacher (wrote a long list on the board|started with a short test|asked many questions).
[He|She] likes {subject} because the teacher explains things (clearly|patiently|with funny examples).
During the break [he|she] (played football with [his|her] friends|ate an apple|talked with {friend} about the weekend).
{friend} sits next to [him|her] and (often helps [him|her] with the exercises|sometimes forgets [friend:his|her] pencil case).
The class was preparing a project about (the history of the town|the river and its fish|healthy food|the planets).
After lunch the children (went to the library|had a music lesson|worked in the school garden).
The homework for (tomorrow|Friday) was to (read a chapter|write a short essay|solve ten problems) (about|in) {subject}.
[He|She] found the exercises difficult, but [he|she] (did not give up|kept trying|asked for help).
The school has (about four hundred pupils|a small library|a large sports field) and (twenty teachers|a garden with vegetables).
The teacher said that the exam would take place (next week|at the end of the month|in two weeks).
In the afternoon the pupils (practised|rehearsed) a play for the school festival.
When the bell rang, everyone (packed their bags|ran outside|said goodbye).
[He|She] walked home with {friend}, and they talked about (the test|their teacher|the holidays).
At home [he|she] (did [his|her] homework at the kitchen table|read for an hour before dinner).
[His|Her] parents asked how the day had been, and [he|she] said that it had been (good|long|interesting).
Learning a new language takes time, but (regular practice|reading every day|speaking with others) helps a lot.
(Next year|In two years) [he|she] will (change schools|start secondary school|choose [his|her] own subjects).

@topic work
> {person} works as {job} in Millbrook.
> {person} has worked as {job} for (five|ten|almost twenty) years.
> {person} (started|found) a new job as {job} (last spring|in {month}|a few months ago).
Every morning [he|she] (gets up|wakes up) at (six|half past six|seven) and (takes the bus|cycles|walks) to work.
[His|Her] working day starts at (eight|nine) o'clock and ends (in the late afternoon|at five|at six).
[He|She] shares an office with (three|two|four) colleagues (who are friendly and helpful|who like to talk about football).
(In the morning|Before lunch) [he|she] usually (answers emails|plans the week|meets the team).
The work is (sometimes tiring|often busy|rarely boring), but [he|she] (enjoys it|likes [his|her] colleagues).
At lunchtime [he|she] eats (a sandwich|a salad|soup) (in the canteen|at [his|her] desk|in the park nearby).
Last week [his|her] manager asked [him|her] to (lead a new project|train two new colleagues|write a report).
The project must be finished (before the end of the month|by Friday|before the summer holidays).
[He|She] is saving money (for a new car|to travel|to buy a house).
Sometimes [he|she] has to work late, (especially in December|when there is a deadline|when a colleague is ill).
On Fridays the team (often goes out for a drink|has a short meeting|eats lunch together).
[He|She] thinks that a good team (listens|communicates clearly|shares the work fairly).
Next year [he|she] (hopes|wants) to (take a course in management|learn a new skill|work fewer hours).
After work [he|she] (goes to the gym|cooks dinner|reads the newspaper|calls [his|her] parents).
Many people in the town work (in the hospital|at the factory|in small shops|on farms nearby).
[His|Her] colleague {friend} (has just had a baby|is retiring soon|moved to another city).
(Working from home|Working part-time) is becoming more common in Millbrook.

@topic market
> Last {day} {person} went to the (market|farmers' market) in the main square of Millbrook.
> {person} (went|walked) to the market early on {day} morning.
> On {day} {person} needed (food for the week|fruit for a cake|vegetables for a soup).
Farmers come from the villages (around the town|in the valley) to sell (vegetables, eggs and cheese|fruit and flowers|honey and bread).
[He|She] bought (a kilo|two kilos|a bag) of {fruit} and some {veg}.
The {fruit} were (cheap|fresh|very sweet) this week.
The seller (smiled|laughed) and gave [him|her] (an extra lemon|a small discount|a free sample).
At the next stall an old man was selling (cheese|honey|fresh fish|homemade jam).
[He|She] asked where the (cheese|honey|bread) came from.
The market was (crowded|noisy|busy|quiet) (because it was Saturday|because of the rain|in the early morning).
[He|She] paid (in cash|with [his|her] card) and put everything in a (cloth|paper) bag.
Prices (have gone up|are higher) this year because the summer was (dry|very hot|too wet).
(Near the fountain|At the corner) a young woman was selling (flowers|bread rolls|coffee).
[He|She] met {friend} by (the fountain|the flower stall), and they talked for a while.
On the way home [he|she] stopped at the bakery to buy (bread|a cake|some rolls).
Buying food at the market supports local farmers and (keeps money in the town|reduces transport).
(In autumn|In summer) the stalls are full of (pumpkins and apples|berries and tomatoes).
By one o'clock the farmers (packed up their stalls|loaded their vans) and the square was empty again.

@topic family
> {person} (lives|has lived) with [his|her] (parents|family) in a (small|old|yellow) house near the river.
> {person} comes from a (big|small) family.
> {person} (often|sometimes) talks about [his|her] family.
[He|She] has (two brothers|a younger sister|an older brother and a sister|no brothers or sisters).
[His|Her] (grandmother|grandfather) lives (in the next street|in a village nearby|on the other side of town) and visits (every Sunday|often).
On Sundays the whole family (eats lunch together|goes for a walk|visits the grandparents).
[His|Her] mother works (in a hospital|at the post office|as a teacher), and [his|her] father (is a carpenter|works in a bank|runs a shop).
[His|Her] (younger|little) brother (loves|is learning) (to play the piano|to ride a bicycle|to draw animals).
In the evening they (play cards|watch a film|talk about their day) in the living room.
[His|Her] grandparents often tell stories about (life in the old days|their childhood in the village|how the town looked fifty years ago).
Last year the family (celebrated|had a big party for) (the grandmother's eightieth birthday|[his|her] parents' wedding anniversary).
The house has a (small|big) garden where they grow (tomatoes|flowers|herbs).
The family has a (dog|cat) called {pet}.
Everyone helps at home: (the children wash the dishes|one cooks and another cleans|the father does the shopping).
When [he|she] was a child, [he|she] (was often ill|liked to climb trees|wanted to become a pilot).
[He|She] (calls|phones) [his|her] parents (every week|every evening|on Sundays).
Family (is|has always been) very important to [him|her].
(Next summer|This year) the family plans to (travel to the sea|paint the house|visit relatives abroad).

@topic science
> The teacher (began|started) the science lesson with (a few|some) (simple|surprising) facts.
> (Here are|These are) some (simple|useful) facts about (nature|the world around us).
> {person} (read|found) some interesting facts in a book about science.
Water boils at one hundred degrees Celsius at sea level.
The Earth goes around the Sun once a year.
The Moon reflects the light of the Sun; it does not produce light itself.
Plants use sunlight, water and carbon dioxide to make sugar and oxygen.
Sound travels faster in water than in air.
Light from the Sun takes about eight minutes to reach the Earth.
The human heart beats about seventy times a minute when we rest.
Ice floats because it is less dense than liquid water.
Bees carry pollen from flower to flower and help plants to make seeds.
A year on Mars is almost twice as long as a year on Earth.
The blue colour of the sky comes from the way air scatters sunlight.
Metals conduct heat and electricity well, while wood and plastic do not.
Most of the Earth's surface is covered by oceans.
Earthquakes happen when large plates of rock move against each other.
Salt water freezes at a lower temperature than fresh water.
Clouds form when warm, moist air rises and cools.
The largest planet in our solar system is Jupiter.
Some birds fly thousands of kilometres every year to spend the winter in warmer places.
Trees grow a new ring of wood every year, so you can count their age.
A rainbow appears when sunlight passes through drops of rain.
Magnets attract iron, but they do not attract copper or aluminium.
The brain uses about a fifth of the body's energy.
Green leaves turn yellow and red in autumn because the tree stops making chlorophyll.
Fish breathe with gills that take oxygen from the water.
Scientists test their ideas with careful experiments and measurements.
The Sun is a star, and it is much closer to us than any other star.
Our bodies are made mostly of water.

@topic history
> The history of Millbrook is (long|older than many people think|full of surprises).
> (Few|Not many) visitors know much about the history of Millbrook.
> The local museum tells the story of Millbrook (from its beginnings|in great detail).
Millbrook was founded (more than|about) (six|seven) hundred years ago (by farmers|by millers) on the bank of the river.
The town got its name from the old water mill (that stood by a small brook|near the bridge).
For centuries most people (lived from farming|worked in the fields) and (sold|traded) wool at the market.
In the fifteenth century the town built a stone bridge, which still stands today.
In 1742 a great fire destroyed (half of the wooden houses|much of the old centre).
After the fire the houses were rebuilt (in stone|in stone and brick).
The railway reached Millbrook in 1868, and the town (began to grow quickly|changed forever).
A textile factory opened near the station and (employed hundreds of workers|brought many new families to the town).
The old town hall (now houses|is now home to) a small museum about local history.
In the museum you can see (old tools|photographs of the mill|a model of the town in 1800|the first fire engine).
The school was built in 1901 (and is still in use|and was enlarged in 1965).
During the long winter of 1929, the river froze and people skated from one bank to the other.
The factory closed in 1982, and many people (had to find new work|left the town).
Today Millbrook has about twelve thousand inhabitants.
Every summer the town celebrates its history with (a festival|a parade|music and dancing) in the main square.
Older residents still remember (the sound of the factory bell|the steam trains|the old cinema).
The town archive keeps (letters|maps|records) that are several hundred years old.
Historians (believe|think) that a Roman road once passed near the (river|hill).

@topic cat
> One (cold|rainy|quiet) evening {person} noticed that [his|her] cat {pet} had not come home.
> {person} has a (grey|black|ginger) cat called {pet}, who likes to wander.
[He|She] called the cat's name in the garden, but nothing moved.
[He|She] (looked|searched) under the cars, behind the shed and in the old barn.
{friend} from next door came out with a torch to help.
They (asked|knocked on the doors of) the neighbours, but nobody had seen the cat.
That night [he|she] (could not sleep|left the kitchen window open|put a bowl of milk by the door).
In the morning [he|she] made small posters with a photo of {pet} and put them on the trees.
(Two days|A whole day|Three days) passed, and there was still no news.
Then the phone rang: a woman had heard a cat (crying in her garage|on her roof).
{pet} was (hungry|dirty|tired) but (safe|unhurt), and purred loudly.
[He|She] carried the cat home and gave it (a big dinner|some warm milk|a piece of fish).
Since that day {pet} (has stayed closer to home|sleeps on [his|her] bed every night).

@topic garden
> In {month} {person} (started|decided to start) a small vegetable garden behind the house.
> {person} has always wanted to grow [his|her] own vegetables.
First [he|she] (dug the soil|removed the stones|pulled out the weeds) (with a spade|by hand).
[He|She] (planted|sowed) {veg} in one bed and flowers in another.
Every evening [he|she] watered the plants with a (green|old|heavy) watering can.
For weeks nothing seemed to happen, and [he|she] (began to worry|lost patience).
Then small green leaves (appeared|came up) (one morning|after a warm rain).
Snails ate some of the young plants, so [he|she] (built a small fence|asked {friend} for advice).
By (July|August) the {veg} were (big|ready|ripe), and [he|she] picked them (with pride|carefully).
[He|She] shared the harvest with (the neighbours|{friend}|[his|her] grandparents).
Next year [he|she] wants to grow (beans|pumpkins|strawberries) as well.
A garden teaches patience, because (plants grow slowly|nothing happens overnight).

@topic birthday
> Last {day} was {person}'s (tenth|eighteenth|thirtieth|fortieth) birthday.
> {person} was (nervous|excited) because [his|her] birthday party was (on {day}|at the weekend).
[He|She] invited (ten|a few|twelve) friends and (some relatives|[his|her] neighbours).
{friend} (baked|made) a (chocolate|lemon|strawberry) cake (with candles|with cream).
The guests arrived (in the afternoon|at six|one after another) with presents and flowers.
They (sang|played games|danced) in the garden until it got dark.
[He|She] received (a book|a new bicycle|a warm scarf|a painting) (from [his|her] parents|from {friend}).
At the end of the evening [he|she] thanked everyone for coming.
It was (the best birthday [he|she] had ever had|a day [he|she] would never forget).

@topic health
> {person} wants to live (a healthier life|more actively) this year.
> Since (January|last autumn) {person} (has been running|has been swimming|has been cycling) (twice a week|every morning).
[He|She] (runs|walks) (along the river|around the park|through the forest) (before work|in the evening).
At first it was hard, but after a few weeks [he|she] felt (stronger|much better|more awake).
Doctors say that (thirty minutes of exercise a day|a short walk after meals) is good for the heart.
[He|She] now eats more (vegetables|fruit|fish) and less (sugar|salt|meat).
Drinking enough water is important, especially (in summer|during sport).
Sleep is just as important as exercise and (good food|a healthy diet).
[He|She] joined a (football|swimming|running) club, where [he|she] met (new friends|{friend}).
On {day} there was a (small race|friendly match) in the park, and [he|she] (finished in the middle|did better than expected).
When [he|she] caught a cold, [he|she] stayed at home and (drank hot tea|rested for a few days).
[He|She] says that sport (helps [him|her] relax|clears [his|her] head|makes [him|her] happy).

@topic hobby
> In [his|her] free time {person} (likes|loves) to (paint|draw|take photographs|make pottery).
> {person} has a hobby that (surprises|interests) many people: [he|she] (builds model ships|collects old maps|keeps bees).
[He|She] started this hobby (as a child|a few years ago|when [he|she] moved to Millbrook).
[He|She] spends (most evenings|every Sunday|a few hours a week) on it.
[He|She] (learned|taught [himself|herself]) (from books|from videos|with the help of {friend}).
At first [his|her] work was (clumsy|slow), but [he|she] (improved step by step|practised every day).
Last (year|month) [he|she] showed [his|her] work at a small exhibition in the library.
Many visitors asked questions, and some (wanted to buy something|asked for lessons).
[He|She] believes that a hobby (gives life colour|helps people forget their worries).
The library in Millbrook has (a reading club|a chess club|a choir) that meets every {day}.
Reading (before bed|on the train) is (a habit|a pleasure) that [he|she] would not give up.
[He|She] (dreams|hopes) of (writing a book one day|travelling to paint landscapes|playing in a band).

@topic nature
> Last {day} {person} walked in the (large|quiet|old) forest just outside Millbrook.
> On {day} {person} (went for a long walk|went hiking) in the hills above the town.
The path (followed the river|climbed slowly|went through meadows full of flowers).
[He|She] saw (a deer|a fox|two hares|a heron) (at the edge of the forest|near the water).
Birds were singing in the trees, and the air smelled of (pine|wet leaves|wild flowers).
The river is clean enough for (trout|otters|small fish) to live in it.
In autumn the leaves turn (red and gold|yellow and brown), and mushrooms grow under the trees.
[He|She] stopped on a hill to (rest|eat a sandwich|look at the view) and saw the whole valley.
Volunteers plant new trees every spring to protect the soil.
Forests store carbon and give many animals a home.
On the way back [he|she] (picked some blackberries|crossed an old wooden bridge|met a farmer with his dogs).
[He|She] came home (tired but happy|with muddy boots|just before dark).
